package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.testbed.LogCapture;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import jakarta.persistence.EntityManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;

import static io.dbredundancy.hibernate.routing.FailbackTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

/** Both databases down: sessions fail at once with the clear error; service resumes when either returns. */
class BothDownTest {

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    @RegisterExtension
    final LogCapture logs = new LogCapture();

    @BeforeAll
    static void schema() {
        Jpa.prepare(pg.primary());
        Jpa.prepare(pg.secondary());
    }

    private EntityManagerFactory emf(String name) {
        Map<String, Object> s = Jpa.settings(pg.primaryProxy().jdbcUrl(Jpa.DB), pg.primary(),
                pg.secondaryProxy().jdbcUrl(Jpa.DB), pg.secondary());
        return Jpa.emf(name, s);
    }

    /** The messages of {@code t} and its causes, one per line. */
    static String messages(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            b.append(c.getClass().getSimpleName()).append(": ").append(c.getMessage()).append('\n');
        }
        return b.toString();
    }

    /** A write fails at once (the second attempt is timed: the first one loads the error path's classes). */
    private String failedWrite(EntityManagerFactory emf) {
        String message = null;
        for (int attempt = 0; attempt < 2; attempt++) {
            long t0 = System.nanoTime();
            try {
                Jpa.write(emf, "bothdown", 1);
                throw new AssertionError("the write succeeded with both databases down");
            } catch (RuntimeException e) {
                long ms = (System.nanoTime() - t0) / 1_000_000;
                if (attempt == 1) {
                    // the pool's own time-out is 1000 ms: failing faster shows it was not waited for
                    assertThat(ms).as("fails at once, not after a pool time-out").isLessThan(900);
                }
                message = messages(e);
            }
        }
        return message;
    }

    @Test
    void sessionsFailWithTheClearErrorAndResumeOnTheSecondaryWhenItReturns() {
        try (EntityManagerFactory emf = emf("both-down-secondary-returns")) {
            Redundancy r = Redundancy.of(emf);
            pg.primaryProxy().cut();
            pg.secondaryProxy().cut();
            assertThat(waitFor(() -> "none".equals(r.status().activeDatabase()), 10_000)).isTrue();
            assertThat(r.status().status()).isEqualTo("down");
            String m = failedWrite(emf);
            assertThat(m).contains("Both primary and secondary databases are unavailable")
                    .doesNotContain(pg.primary().password());

            pg.secondaryProxy().restore();
            assertThat(waitFor(() -> "secondary".equals(r.status().activeDatabase()), 10_000)).isTrue();
            assertThat(Jpa.write(emf, "bothdown-s", 1)).isEqualTo("secondary");
        }
        assertThat(logs.linesContaining("[DB-Redundancy] Both primary and secondary databases are unavailable"))
                .isNotEmpty();
        assertThat(logs.linesContaining("[DB-Redundancy] Recovered: none -> secondary")).isNotEmpty();
    }

    @Test
    void serviceResumesOnThePrimaryWhenItReturnsFirst() {
        try (EntityManagerFactory emf = emf("both-down-primary-returns")) {
            Redundancy r = Redundancy.of(emf);
            pg.secondaryProxy().cut();
            pg.primaryProxy().cut();
            assertThat(waitFor(() -> "none".equals(r.status().activeDatabase()), 10_000)).isTrue();
            assertThat(failedWrite(emf)).contains("Both primary and secondary databases are unavailable");
            pg.primaryProxy().restore();
            assertThat(waitFor(() -> "primary".equals(r.status().activeDatabase()), 10_000)).isTrue();
            assertThat(Jpa.write(emf, "bothdown-p", 1)).isEqualTo("primary");
        }
    }
}
