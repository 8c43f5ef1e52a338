package io.dbredundancy.demo;

import io.dbredundancy.demo.launcher.DemoServer;
import io.dbredundancy.demo.launcher.EmbeddedDatabase;
import io.dbredundancy.hibernate.sync.Migrations;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test fixture: the demo app on its embedded runtime with two real embedded PostgreSQL servers and the demo
 * schema on both, as ./demo.sh starts it. Everything stops on {@link #close()}.
 */
public final class DemoApp implements AutoCloseable {

    public static final String TOKEN = "test-admin-token-0123456789";

    public final EmbeddedDatabase primary;
    public final EmbeddedDatabase secondary;
    public final DemoServer server;
    public final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private DemoApp(EmbeddedDatabase primary, EmbeddedDatabase secondary, DemoServer server) {
        this.primary = primary;
        this.secondary = secondary;
        this.server = server;
    }

    public static DemoApp start() throws Exception {
        EmbeddedDatabase primary = EmbeddedDatabase.start("primary");
        EmbeddedDatabase secondary = null;
        try {
            secondary = EmbeddedDatabase.start("secondary");
            for (EmbeddedDatabase db : new EmbeddedDatabase[] {primary, secondary}) {
                try (Connection c = db.connect()) {
                    Migrations.apply(c, "db/demo/changelog.xml", DemoApp.class.getClassLoader());
                }
            }
            System.setProperty("DATABASE_URL", primary.url());
            System.setProperty("DATABASE_URL_SECONDARY", secondary.url());
            System.setProperty("ADMIN_TOKEN", TOKEN);
            return new DemoApp(primary, secondary, DemoServer.start(0));
        } catch (Exception | Error e) {
            if (secondary != null) {
                secondary.close();
            }
            primary.close();
            throw e;
        }
    }

    public URI uri(String path) {
        return server.uri().resolve(path);
    }

    public HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String path, String authorization, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30))
                .POST(json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> admin(String action) throws Exception {
        return post("api/system/" + action, "Bearer " + TOKEN, null);
    }

    /** The serving node as /api/system/db-health says. */
    public String activeDatabase() throws Exception {
        return field(get("api/system/db-health").body(), "activeDatabase");
    }

    /** A top-level-or-nested string/number/boolean field of a JSON text (first occurrence). */
    public static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\":(\"([^\"]*)\"|[^,}\\]]+)").matcher(json);
        if (!m.find()) {
            return null;
        }
        return m.group(2) != null ? m.group(2) : m.group(1);
    }

    @Override
    public void close() throws Exception {
        try {
            server.close();
        } finally {
            primary.close();
            secondary.close();
            System.clearProperty("DATABASE_URL");
            System.clearProperty("DATABASE_URL_SECONDARY");
            System.clearProperty("ADMIN_TOKEN");
        }
    }
}
