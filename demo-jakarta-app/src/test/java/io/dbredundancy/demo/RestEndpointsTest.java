package io.dbredundancy.demo;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.http.HttpResponse;
import java.time.Duration;

import static io.dbredundancy.demo.DemoApp.field;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Every REST endpoint of the demo through a real HTTP client, against the app on two embedded PostgreSQL servers. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RestEndpointsTest {

    static DemoApp app;

    @BeforeAll
    static void start() throws Exception {
        app = DemoApp.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (app != null) {
            app.close();
        }
    }

    @Test
    @Order(1)
    void healthShowsHotSwapOnThePrimary() throws Exception {
        HttpResponse<String> r = app.get("api/health");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).contains("application/json"));
        String json = r.body();
        assertThat(field(json, "status")).isEqualTo("healthy");
        assertThat(field(json, "database")).isEqualTo("connected");
        assertThat(field(json, "timestamp")).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        assertThat(json).contains("\"hotSwap\":{\"enabled\":true,\"currentDatabase\":\"primary\",\"failoverAvailable\":true,\"failureCount\":0");
        assertThat(json).doesNotContain("lastFailover");
    }

    @Test
    @Order(2)
    void dbHealthIsThePluginStatusJson() throws Exception {
        HttpResponse<String> r = app.get("api/system/db-health");
        assertThat(r.statusCode()).isEqualTo(200);
        String json = r.body();
        assertThat(field(json, "status")).isEqualTo("healthy");
        assertThat(field(json, "redundancy")).isEqualTo("true");
        assertThat(field(json, "activeDatabase")).isEqualTo("primary");
        assertThat(json).contains("\"primary\":{\"connected\":true", "\"secondary\":{\"connected\":true",
                "\"failoverCount\":0", "\"mirror\":{\"mode\":", "\"syncStatus\":");
        // the URLs are masked: the demo's password never leaves the server
        assertThat(json).contains("postgres:***@127.0.0.1").doesNotContain(app.primary.password(), app.secondary.password());
    }

    @Test
    @Order(3)
    void ordersCrudRoundTrip() throws Exception {
        HttpResponse<String> created = app.post("api/orders", null, """
                {"customerName":"Ada","customerEmail":"ada@example.com",
                 "items":[{"sku":"BOOK-1","quantity":2,"unitPrice":12.50},{"sku":"PEN","quantity":1,"unitPrice":1.25}]}""");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String id = field(created.body(), "id");
        assertThat(field(created.body(), "total")).isEqualTo("26.25");
        assertThat(created.headers().firstValue("Location")).hasValueSatisfying(v -> assertThat(v).endsWith("api/orders/" + id));

        HttpResponse<String> one = app.get("api/orders/" + id);
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(field(one.body(), "customerEmail")).isEqualTo("ada@example.com");
        assertThat(one.body()).contains("BOOK-1", "PEN");

        assertThat(app.get("api/orders?limit=5").body()).contains("\"id\":" + id);
        assertThat(field(app.get("api/orders/count").body(), "count")).isNotEqualTo("0");

        HttpResponse<String> shipped = app.http.send(java.net.http.HttpRequest.newBuilder(app.uri("api/orders/" + id))
                .header("Content-Type", "application/json")
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"status\":\"SHIPPED\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(shipped.statusCode()).isEqualTo(200);
        assertThat(field(shipped.body(), "status")).isEqualTo("SHIPPED");

        HttpResponse<String> deleted = app.http.send(java.net.http.HttpRequest.newBuilder(app.uri("api/orders/" + id))
                .DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(deleted.statusCode()).isEqualTo(204);
        assertThat(app.get("api/orders/" + id).statusCode()).isEqualTo(404);
    }

    @Test
    @Order(4)
    void anOrderWithoutItemsIsABadRequest() throws Exception {
        HttpResponse<String> r = app.post("api/orders", null, "{\"customerEmail\":\"x@example.com\",\"items\":[]}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("items");
    }

    @Test
    @Order(5)
    void metricsArePrometheusText() throws Exception {
        HttpResponse<String> r = app.get("metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
        assertThat(r.body()).contains("# TYPE db_redundancy_active_node gauge", "db_redundancy_active_node{unit=\"demo\"} 1.0",
                "db_redundancy_node_up{node=\"secondary\"", "db_redundancy_failovers_total", "db_redundancy_health_checks_total",
                "db_redundancy_mirror_pending", "hibernate_", "demo_orders_committed_total");
    }

    @Test
    @Order(6)
    void adminEndpointsRefuseAMissingOrWrongToken() throws Exception {
        for (String action : new String[] {"failover", "failback", "sync", "verify"}) {
            HttpResponse<String> none = app.post("api/system/" + action, null, null);
            assertThat(none.statusCode()).as(action).isEqualTo(401);
            assertThat(none.headers().firstValue("WWW-Authenticate")).isPresent();
            assertThat(app.post("api/system/" + action, "Bearer wrong", null).statusCode()).as(action).isEqualTo(401);
            assertThat(app.post("api/system/" + action, "Bearer " + DemoApp.TOKEN + "x", null).statusCode()).isEqualTo(401);
            assertThat(app.post("api/system/" + action, DemoApp.TOKEN, null).statusCode()).isEqualTo(401);
        }
        assertThat(app.activeDatabase()).isEqualTo("primary");
    }

    @Test
    @Order(7)
    void adminEndpointsAreOffWithoutAdminToken() throws Exception {
        System.clearProperty("ADMIN_TOKEN");
        try {
            HttpResponse<String> r = app.admin("failover");
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.body()).contains("disabled", "ADMIN_TOKEN");
            assertThat(app.get("api/system/admin").body()).contains("\"enabled\":false");
        } finally {
            System.setProperty("ADMIN_TOKEN", DemoApp.TOKEN);
        }
        assertThat(app.get("api/system/admin").body()).contains("\"enabled\":true");
    }

    @Test
    @Order(8)
    void failoverAndFailbackThroughTheAdminEndpoints() throws Exception {
        HttpResponse<String> r = app.admin("failover");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("\"action\":\"failover\"", "\"ok\":true");
        assertThat(app.activeDatabase()).isEqualTo("secondary");

        String health = app.get("api/health").body();
        assertThat(health).contains("\"currentDatabase\":\"secondary\"", "\"failoverAvailable\":true");
        assertThat(field(health, "lastFailover")).matches("\\d{4}-.*Z");
        assertThat(field(health, "uptimeSinceFailover")).matches("\\d+s");
        assertThat(field(app.get("api/system/db-health").body(), "failoverCount")).isEqualTo("1");

        // writes go on while the secondary serves
        assertThat(app.post("api/orders", null, "{\"customerEmail\":\"b@example.com\",\"items\":[{\"sku\":\"A\",\"quantity\":1,\"unitPrice\":1}]}")
                .statusCode()).isEqualTo(201);
        assertThat(app.get("metrics").body()).contains("db_redundancy_active_node{unit=\"demo\"} 2.0");

        // the plugin fails back only once the writes taken by the secondary are mirrored back (409 until then)
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
            HttpResponse<String> back = app.admin("failback");
            assertThat(back.statusCode()).as(back.body()).isEqualTo(200);
        });
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(app.activeDatabase()).isEqualTo("primary"));
        assertThat(app.get("api/system/timeline").body()).contains("\"type\":\"failover\"", "\"type\":\"failback\"", "\"type\":\"admin\"");
    }

    @Test
    @Order(9)
    void syncAndVerifyAnswerWithTheirReport() throws Exception {
        // the mirror alone made the standby a copy (orders, their lines, the updated_at trigger's column, the writes
        // the secondary took while failed over): verify finds it identical before any sync runs
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
            HttpResponse<String> v = app.admin("verify");
            assertThat(v.statusCode()).as(v.body()).isEqualTo(200);
            assertThat(v.body()).as(v.body()).contains("\"identical\":true");
        });
        for (String action : new String[] {"sync", "verify"}) {
            HttpResponse<String> r = app.admin(action);
            assertThat(r.statusCode()).as(action + ": " + r.body()).isEqualTo(200);
            assertThat(r.body()).contains("\"action\":\"" + action + "\"", "\"ok\":true");
        }
        assertThat(app.admin("verify").body()).contains("\"identical\":true");
    }

    @Test
    @Order(10)
    void dashboardAssetsAreServed() throws Exception {
        HttpResponse<String> index = app.get("");
        assertThat(index.statusCode()).isEqualTo(200);
        assertThat(index.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
        assertThat(index.body()).contains("dashboard.js", "active-db");
        assertThat(app.get("dashboard.js").statusCode()).isEqualTo(200);
        assertThat(app.get("dashboard.css").statusCode()).isEqualTo(200);
        assertThat(app.get("nope.txt").statusCode()).isEqualTo(404);
    }
}
