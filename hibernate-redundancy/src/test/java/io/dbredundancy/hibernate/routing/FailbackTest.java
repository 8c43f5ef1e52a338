package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.SwitchEvent;
import io.dbredundancy.hibernate.SwitchKind;
import io.dbredundancy.hibernate.testbed.LogCapture;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import jakarta.persistence.EntityManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The primary comes back: automatic failback after the threshold, manual failback on request, no switch storm. */
class FailbackTest {

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    @RegisterExtension
    final LogCapture logs = new LogCapture();

    @BeforeAll
    static void schema() {
        Jpa.prepare(pg.primary());
        Jpa.prepare(pg.secondary());
    }

    static boolean waitFor(BooleanSupplier condition, long timeoutMs) {
        long end = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < end) {
            if (condition.getAsBoolean()) {
                return true;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return condition.getAsBoolean();
    }

    private static List<SwitchKind> kinds(List<SwitchEvent> events) {
        return events.stream().map(SwitchEvent::kind).toList();
    }

    @Test
    void failsBackAfterTheThresholdWhenTheCrashedPrimaryReturns() {
        Map<String, Object> s = Jpa.settings(pg.primary().jdbcUrl(Jpa.DB), pg.primary(), pg.secondary().jdbcUrl(Jpa.DB),
                pg.secondary());
        try (EntityManagerFactory emf = Jpa.emf("failback-auto", s)) {
            Redundancy r = Redundancy.of(emf);
            List<SwitchEvent> events = new CopyOnWriteArrayList<>();
            r.addListener(events::add);
            pg.primary().kill9();
            assertThat(waitFor(() -> "secondary".equals(r.status().activeDatabase()), 10_000)).isTrue();
            assertThat(Jpa.write(emf, "auto", 1)).isEqualTo("secondary");

            pg.primary().restart();
            long back = System.currentTimeMillis();
            assertThat(waitFor(() -> "primary".equals(r.status().activeDatabase()), 20_000)).isTrue();
            long took = System.currentTimeMillis() - back;
            // 5 consecutive good probes 500 ms apart
            assertThat(took).isGreaterThanOrEqualTo(1500);
            assertThat(waitFor(() -> events.size() >= 2, 2000)).isTrue(); // listeners run just after the switch
            assertThat(kinds(events)).containsExactly(SwitchKind.FAILOVER, SwitchKind.FAILBACK);
            assertThat(events.get(1).epoch()).isEqualTo(2);
            assertThat(Jpa.write(emf, "auto", 2)).isEqualTo("primary");
            assertThat(r.status().status()).isEqualTo("healthy");
        }
        assertThat(logs.linesContaining("[DB-Redundancy] Failback: secondary -> primary")).hasSize(1);
    }

    @Test
    void manualFailbackModeStaysOnTheSecondaryUntilFailbackIsCalled() {
        Map<String, Object> s = Jpa.settings(pg.primaryProxy().jdbcUrl(Jpa.DB), pg.primary(),
                pg.secondary().jdbcUrl(Jpa.DB), pg.secondary());
        s.put("hibernate.redundancy.failback", "manual");
        try (EntityManagerFactory emf = Jpa.emf("failback-manual", s)) {
            Redundancy r = Redundancy.of(emf);
            pg.primaryProxy().cut();
            assertThat(waitFor(() -> "secondary".equals(r.status().activeDatabase()), 10_000)).isTrue();
            pg.primaryProxy().restore();
            assertThat(waitFor(() -> r.status().primary().connected(), 10_000)).isTrue();
            waitFor(() -> false, 4000);
            assertThat(r.status().activeDatabase()).isEqualTo("secondary");
            assertThat(Jpa.write(emf, "manual", 1)).isEqualTo("secondary");

            SwitchEvent e = r.failback();
            assertThat(e.kind()).isEqualTo(SwitchKind.MANUAL_FAILBACK);
            assertThat(Jpa.write(emf, "manual", 2)).isEqualTo("primary");
            assertThat(r.failback()).isNull();
        }
        assertThat(logs.linesContaining("[DB-Redundancy] Manual failback: secondary -> primary")).hasSize(1);
    }

    @Test
    void aFlappingPrimaryDoesNotCauseASwitchStorm() {
        Map<String, Object> s = Jpa.settings(pg.primaryProxy().jdbcUrl(Jpa.DB), pg.primary(),
                pg.secondary().jdbcUrl(Jpa.DB), pg.secondary());
        try (EntityManagerFactory emf = Jpa.emf("flapping", s)) {
            Redundancy r = Redundancy.of(emf);
            List<SwitchEvent> events = new CopyOnWriteArrayList<>();
            r.addListener(events::add);
            try (WriteLoad load = new WriteLoad(emf, "flap", 2)) {
                for (int i = 0; i < 7; i++) {
                    pg.primaryProxy().cut();
                    waitFor(() -> false, 600);
                    pg.primaryProxy().restore();
                    waitFor(() -> false, 600);
                }
                assertThat(kinds(events)).as("switches while flapping").containsExactly(SwitchKind.FAILOVER);
                assertThat(load.stop(10_000)).isEmpty();
                assertThat(load.commitsOn("secondary")).isPositive();
            }
            // once stable, exactly one failback
            assertThat(waitFor(() -> "primary".equals(r.status().activeDatabase()), 15_000)).isTrue();
            assertThat(waitFor(() -> events.size() >= 2, 2000)).isTrue();
            assertThat(kinds(events)).containsExactly(SwitchKind.FAILOVER, SwitchKind.FAILBACK);
        }
    }

    @Test
    void manualFailoverToADownSecondaryIsRefusedWithAClearMessage() {
        Map<String, Object> s = Jpa.settings(pg.primary().jdbcUrl(Jpa.DB), pg.primary(),
                pg.secondaryProxy().jdbcUrl(Jpa.DB), pg.secondary());
        try (EntityManagerFactory emf = Jpa.emf("manual-refused", s)) {
            Redundancy r = Redundancy.of(emf);
            pg.secondaryProxy().cut();
            assertThat(waitFor(() -> !r.status().secondary().connected(), 10_000)).isTrue();
            assertThatThrownBy(r::failover).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Manual failover refused: the secondary database is down");
            assertThat(r.status().activeDatabase()).isEqualTo("primary");
            assertThat(Jpa.write(emf, "refused", 1)).isEqualTo("primary");
        }
    }
}
