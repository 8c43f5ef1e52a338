package io.dbredundancy.hibernate.spring.boot3;

import io.dbredundancy.hibernate.spring.boot3.app.OrdersApp;
import io.dbredundancy.hibernate.testbed.PgServer;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Starts {@link OrdersApp} the way a user configures it: the starter plus {@code hibernate.redundancy.*} properties. */
final class BootApp {

    private BootApp() {
    }

    /** The adoption properties: both URLs (with their credentials), nothing else the plugin needs. */
    static Map<String, Object> properties(PostgresPair pg, String database) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("hibernate.redundancy.primary.url", pg.primary().uri(database));
        p.put("hibernate.redundancy.secondary.url", pg.secondary().uri(database));
        p.put("hibernate.redundancy.pool.min-idle", "1");
        p.put("hibernate.redundancy.health.timeout-ms", "1500"); // a loaded test machine is no outage
        p.put("spring.jpa.open-in-view", "false");
        p.put("spring.flyway.enabled", "false");
        p.put("management.endpoint.health.show-details", "always");
        return p;
    }

    static ConfigurableApplicationContext start(Map<String, Object> properties) {
        SpringApplication app = new SpringApplication(OrdersApp.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        List<String> args = new ArrayList<>();
        properties.forEach((k, v) -> args.add("--" + k + "=" + v));
        return app.run(args.toArray(String[]::new));
    }

    static long count(PgServer server, String database, String sql) throws SQLException {
        try (Connection c = server.connect(database); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static void execute(PgServer server, String database, String sql) throws SQLException {
        try (Connection c = server.connect(database); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
