package io.dbredundancy.demo;

import io.dbredundancy.demo.launcher.EmbeddedDatabase;
import io.dbredundancy.hibernate.sync.Migrations;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same WAR on a full Jakarta EE server: WildFly 39 (from Maven Central, unpacked by the {@code wildfly} Maven
 * profile), two container DataSources on two embedded PostgreSQL servers, the JTA persistence unit {@code demo-jta}
 * with {@code hibernate.redundancy.primary.jndi}/{@code secondary.jndi}. Run with
 * {@code ./mvnw -Pwildfly -pl demo-jakarta-app -am verify}.
 *
 * <p>WildFly 39 ships the Jakarta Persistence 3.1 API module; Hibernate 7 needs 3.2, so the server's
 * {@code jakarta.persistence.api} module is upgraded to 3.2.0 first (WildFly 40 ships 3.2 and Hibernate 7.3).
 */
class WildFlyDeploymentIT {

    static final Path HOME = Path.of(System.getProperty("wildfly.home", "target/wildfly/wildfly-39.0.1.Final"));
    static final Path WAR = Path.of(System.getProperty("demo.war", "target/demo-jakarta-app-0.1.0-SNAPSHOT.war"));

    static EmbeddedDatabase primary;
    static EmbeddedDatabase secondary;
    static Process server;
    static int offset;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(HOME), "WildFly is not unpacked at " + HOME + " (run with -Pwildfly)");
        primary = EmbeddedDatabase.start("wf-primary");
        secondary = EmbeddedDatabase.start("wf-secondary");
        for (EmbeddedDatabase db : new EmbeddedDatabase[] {primary, secondary}) {
            try (Connection c = db.connect()) {
                Migrations.apply(c, "db/demo/changelog.xml", WildFlyDeploymentIT.class.getClassLoader());
            }
        }
        upgradePersistenceApi();
        Path deployments = HOME.resolve("standalone/deployments");
        try (Stream<Path> old = Files.list(deployments)) {
            for (Path p : old.filter(p -> !p.getFileName().toString().equals("README.txt")).toList()) {
                Files.delete(p);
            }
        }
        offset = freeOffset();
        ProcessBuilder pb = new ProcessBuilder(HOME.resolve("bin/standalone.sh").toString(), "-b", "127.0.0.1",
                "-bmanagement", "127.0.0.1", "-Djboss.socket.binding.port-offset=" + offset)
                .redirectErrorStream(true).redirectOutput(Path.of("target", "wildfly-server.log").toFile());
        pb.environment().put("JAVA_OPTS", "-Xms128m -Xmx768m -Djava.net.preferIPv4Stack=true");
        server = pb.start();

        Path driver = Path.of(org.postgresql.Driver.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        deploy(deployments, driver, "postgresql.jar");
        Files.writeString(deployments.resolve("demo-ds.xml.tmp"), datasources());
        Files.move(deployments.resolve("demo-ds.xml.tmp"), deployments.resolve("demo-ds.xml"));
        awaitDeployed(deployments, "demo-ds.xml");
        deploy(deployments, WAR, "demo.war");
    }

    /** kill the server (its Java child too), then the databases. */
    @AfterAll
    static void stop() {
        if (server != null) {
            List<ProcessHandle> children = server.toHandle().descendants().toList();
            server.destroy();
            children.forEach(ProcessHandle::destroy);
            try {
                server.waitFor();
                for (ProcessHandle c : children) {
                    c.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
                }
            } catch (Exception e) {
                children.forEach(ProcessHandle::destroyForcibly);
            }
        }
        if (primary != null) {
            primary.close();
        }
        if (secondary != null) {
            secondary.close();
        }
    }

    @Test
    void jtaDeploymentServesDbHealthFromContainerDataSources() throws Exception {
        HttpResponse<String> r = get("demo/api/system/db-health");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("\"redundancy\":true", "\"activeDatabase\":\"primary\"",
                "\"primary\":{\"connected\":true", "\"secondary\":{\"connected\":true");

        HttpResponse<String> order = HTTP.send(HttpRequest.newBuilder(uri("demo/api/orders"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"customerEmail\":\"wildfly@example.com\","
                        + "\"items\":[{\"sku\":\"JTA\",\"quantity\":1,\"unitPrice\":3.5}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(order.statusCode()).as(order.body()).isEqualTo(201);
        assertThat(get("demo/api/health").body()).contains("\"currentDatabase\":\"primary\"");
        assertThat(get("demo/metrics").body()).contains("db_redundancy_active_node");
        // the WAR's Hibernate 7 serves, not the server's 6.6 module
        assertThat(Files.readString(Path.of("target", "wildfly-server.log"))).doesNotContain("org.hibernate@6.");
    }

    static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + (8080 + offset) + "/" + path);
    }

    private static String datasources() {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<datasources xmlns=\"urn:jboss:domain:datasources:7.0\">\n"
                + ds("DemoPrimaryDS", primary) + ds("DemoSecondaryDS", secondary) + "</datasources>\n";
    }

    private static String ds(String name, EmbeddedDatabase db) {
        return "  <datasource jndi-name=\"java:jboss/datasources/" + name + "\" pool-name=\"" + name + "\" jta=\"true\">\n"
                + "    <connection-url>" + db.jdbcUrl() + "</connection-url>\n"
                + "    <driver>postgresql.jar</driver>\n"
                + "    <pool><min-pool-size>1</min-pool-size><max-pool-size>10</max-pool-size></pool>\n"
                + "    <security><user-name>postgres</user-name><password>" + db.password() + "</password></security>\n"
                + "    <timeout><blocking-timeout-millis>2000</blocking-timeout-millis></timeout>\n"
                + "  </datasource>\n";
    }

    private static void deploy(Path deployments, Path file, String name) throws Exception {
        Files.copy(file, deployments.resolve(name + ".tmp"), StandardCopyOption.REPLACE_EXISTING);
        Files.move(deployments.resolve(name + ".tmp"), deployments.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        awaitDeployed(deployments, name);
    }

    private static void awaitDeployed(Path deployments, String name) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(deployments.resolve(name + ".deployed"))) {
                return;
            }
            if (Files.exists(deployments.resolve(name + ".failed"))) {
                throw new AssertionError(name + " failed to deploy: " + Files.readString(deployments.resolve(name + ".failed")));
            }
            if (!server.isAlive()) {
                throw new AssertionError("WildFly exited; see target/wildfly-server.log");
            }
            Thread.sleep(250);
        }
        throw new AssertionError(name + " not deployed within 4 minutes; see target/wildfly-server.log");
    }

    /** Replaces the server's Jakarta Persistence 3.1 API module by 3.2.0 (idempotent). */
    static void upgradePersistenceApi() throws IOException {
        Path module = HOME.resolve("modules/system/layers/base/jakarta/persistence/api/main");
        Path api = Path.of(System.getProperty("jakarta.persistence.api.jar"));
        Path xml = module.resolve("module.xml");
        String text = Files.readString(xml);
        if (text.contains(api.getFileName().toString())) {
            return;
        }
        Files.copy(api, module.resolve(api.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(xml, text.replaceAll("jakarta\\.persistence-api-[0-9.]+\\.jar", api.getFileName().toString()));
    }

    private static int freeOffset() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int off = 10_000 + (int) (Math.random() * 40_000);
            if (free(8080 + off) && free(9990 + off) && free(8443 + off) && free(9993 + off)) {
                return off;
            }
        }
        throw new IOException("no free port offset");
    }

    private static boolean free(int port) {
        if (port > 65_535) {
            return false;
        }
        try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
