package io.dbredundancy.hibernate.testbed;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class ChildJvmTest {

    /** The child: prints its argument and a system property, then waits to be killed. */
    public static final class Sleeper {
        public static void main(String[] args) throws InterruptedException {
            System.out.println("ready " + args[0] + " " + System.getProperty("bed.flavour"));
            System.out.flush();
            Thread.sleep(60_000);
        }
    }

    @Test
    void runsAMainClassOnTheTestClasspathAndKillsIt() {
        try (ChildJvm child = ChildJvm.builder(Sleeper.class).arg("alpha").systemProperty("bed.flavour", "beta").start()) {
            String line = child.awaitLine(l -> l.startsWith("ready"), Duration.ofSeconds(30));
            assertThat(line).isEqualTo("ready alpha beta");
            assertThat(child.pid()).isPositive();
            assertThat(child.isAlive()).isTrue();

            child.kill9();

            assertThat(child.isAlive()).isFalse();
            assertThat(child.waitFor(Duration.ofSeconds(5))).hasValue(137);
        }
    }
}
