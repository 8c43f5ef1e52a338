package io.dbredundancy.hibernate.spring;

import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.spring.app.OrderService;
import jakarta.persistence.EntityManagerFactory;
import org.springframework.context.ConfigurableApplicationContext;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Child-JVM program of {@link StarterWithoutOptionalDependenciesTest}: the Boot application on a class path without
 * Actuator, Micrometer and Flyway. Args: primary URI, secondary URI.
 */
public final class PlainBootMain {

    private PlainBootMain() {
    }

    public static void main(String[] args) {
        for (String absent : new String[] {"io.micrometer.core.instrument.MeterRegistry", "org.flywaydb.core.Flyway",
                "org.springframework.boot.health.contributor.HealthIndicator"}) {
            try {
                Class.forName(absent);
                System.out.println("UNEXPECTED: " + absent + " is on the class path");
                System.exit(3);
            } catch (ClassNotFoundException expected) {
                System.out.println("absent " + absent);
            }
        }
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("hibernate.redundancy.primary.url", args[0]);
        p.put("hibernate.redundancy.secondary.url", args[1]);
        p.put("hibernate.redundancy.mirror.mode", "off");
        p.put("spring.liquibase.change-log", "classpath:db/orders/changelog.xml");
        p.put("spring.jpa.open-in-view", "false");
        try (ConfigurableApplicationContext ctx = BootApp.start(p)) {
            ctx.getBean(OrderService.class).order("plain", 1);
            System.out.println("ordered on " + Redundancy.of(ctx.getBean(EntityManagerFactory.class)).status().activeDatabase());
        }
        System.out.println("DONE");
        System.exit(0);
    }
}
