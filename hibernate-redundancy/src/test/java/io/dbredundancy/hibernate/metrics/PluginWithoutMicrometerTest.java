package io.dbredundancy.hibernate.metrics;

import io.dbredundancy.hibernate.testbed.PostgresPair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Micrometer is optional: a JVM whose classpath has no Micrometer (nor hibernate-micrometer) boots a unit with the
 * plugin, serves queries, fails over and reports its status, and never mentions Micrometer.
 */
class PluginWithoutMicrometerTest {

    @RegisterExtension
    static final PostgresPair PAIR = new PostgresPair();

    @Test
    void pluginBootsAndFailsOverWithoutMicrometerOnTheClasspath() throws Exception {
        String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.contains("micrometer"))
                .collect(Collectors.joining(File.pathSeparator));
        assertThat(System.getProperty("java.class.path")).contains("micrometer");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classpath,
                BootWithoutMicrometer.class.getName(),
                PAIR.primary().uri("postgres"), PAIR.secondary().uri("postgres")));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output;
        boolean exited;
        try {
            exited = p.waitFor(120, TimeUnit.SECONDS);
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
        output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(exited).as(output).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).contains("micrometer absent", "query answered 1", "after failover query answered 1",
                "\"activeDatabase\":\"secondary\"", "metricsSupport=false", "DONE");
        // "says nothing": no warning, no stack trace about the missing library
        assertThat(output.replace("micrometer absent", "")).doesNotContainIgnoringCase("micrometer")
                .doesNotContain("NoClassDefFoundError", "ClassNotFoundException");
    }
}
