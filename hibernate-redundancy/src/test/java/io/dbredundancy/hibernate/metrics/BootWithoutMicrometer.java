package io.dbredundancy.hibernate.metrics;

import io.dbredundancy.hibernate.Redundancy;
import jakarta.persistence.EntityManagerFactory;

/** Child-JVM program of {@link PluginWithoutMicrometerTest}: boots a unit with Micrometer absent from the classpath. */
public final class BootWithoutMicrometer {

    private BootWithoutMicrometer() {
    }

    public static void main(String[] args) {
        try {
            Class.forName("io.micrometer.core.instrument.MeterRegistry");
            System.out.println("UNEXPECTED: Micrometer is on the classpath");
            System.exit(3);
        } catch (ClassNotFoundException expected) {
            System.out.println("micrometer absent");
        }
        EntityManagerFactory emf = Units.emf("plain-unit", args[0], args[1]);
        try {
            System.out.println("query answered " + Units.selectOne(emf));
            Redundancy r = Redundancy.of(emf);
            r.failover();
            System.out.println("after failover query answered " + Units.selectOne(emf));
            System.out.println("STATUS " + r.status().toJson());
            System.out.println("metricsSupport=" + MetricsSupport.micrometerPresent());
        } finally {
            emf.close();
        }
        System.out.println("DONE");
        System.exit(0);
    }
}
