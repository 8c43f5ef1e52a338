package io.dbredundancy.hibernate.spring;

import io.dbredundancy.hibernate.testbed.PostgresPair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** Actuator, Micrometer and Flyway are optional: without them on the class path the application starts and writes. */
class StarterWithoutOptionalDependenciesTest {

    @RegisterExtension
    static final SharedPair shared = new SharedPair();
    static final PostgresPair pg = SharedPair.pair();

    private static final List<String> LEFT_OUT = List.of("micrometer", "actuator", "spring-boot-health", "flyway",
            "HdrHistogram", "LatencyUtils");

    @Test
    void startsAndWritesWithoutActuatorMicrometerAndFlyway() throws Exception {
        String db = "plain_app";
        pg.createDatabase(db);
        String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> LEFT_OUT.stream().noneMatch(e::contains))
                .collect(Collectors.joining(File.pathSeparator));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classpath,
                PlainBootMain.class.getName(), pg.primary().uri(db), pg.secondary().uri(db))
                .redirectErrorStream(true).start();
        boolean exited;
        try {
            exited = p.waitFor(120, TimeUnit.SECONDS);
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(exited).as(output).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).contains("ordered on primary", "DONE").doesNotContain("NoClassDefFoundError",
                "ClassNotFoundException");
    }
}
