package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.health.ActiveNode;
import io.dbredundancy.hibernate.health.SwitchEvent;
import io.dbredundancy.hibernate.health.SwitchKind;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import jakarta.persistence.EntityManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Listeners registered with {@code Redundancy.of(emf).addListener(…)} hear every transition once, in order, with its
 * kind and reason: manual failover and failback, a crash failover, the automatic failback, both down, recovery.
 */
class SwitchEventsTest {

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    @BeforeAll
    static void schema() {
        Jpa.prepare(pg.primary());
        Jpa.prepare(pg.secondary());
    }

    private static void awaitEvents(List<SwitchEvent> events, int n) {
        assertThat(FailbackTest.waitFor(() -> events.size() >= n, 20_000))
                .as("%d switch events, got %s", n, events).isTrue();
    }

    @Test
    void listenersHearEveryTransitionOnceInOrderWithItsReason() {
        Map<String, Object> s = Jpa.settings(pg.primary().jdbcUrl(Jpa.DB), pg.primary(), pg.secondary().jdbcUrl(Jpa.DB),
                pg.secondary());
        s.put("hibernate.redundancy.health.interval_ms", "250");
        s.put("hibernate.redundancy.health.primary_retry_interval_ms", "250");
        s.put("hibernate.redundancy.health.failback_threshold", "3");
        try (EntityManagerFactory emf = Jpa.emf("switch-events", s)) {
            Redundancy r = Redundancy.of(emf);
            List<SwitchEvent> events = new CopyOnWriteArrayList<>();
            List<SwitchEvent> second = new CopyOnWriteArrayList<>();
            r.addListener(events::add);
            r.addListener(second::add);

            r.failover();                                    // 1 manual failover
            r.failback();                                    // 2 manual failback
            awaitEvents(events, 2);
            pg.primary().kill9();                            // 3 failover
            awaitEvents(events, 3);
            pg.primary().restart();                          // 4 automatic failback
            awaitEvents(events, 4);
            pg.primary().kill9();                            // 5 failover
            awaitEvents(events, 5);
            pg.secondary().kill9();                          // 6 both down
            awaitEvents(events, 6);
            pg.secondary().restart();                        // 7 recovered, on the secondary
            awaitEvents(events, 7);
            assertThat(Jpa.write(emf, "events", 1)).isEqualTo("secondary");
            FailbackTest.waitFor(() -> false, 1_000); // nothing more arrives

            assertThat(events).extracting(SwitchEvent::kind).containsExactly(
                    SwitchKind.MANUAL_FAILOVER, SwitchKind.MANUAL_FAILBACK, SwitchKind.FAILOVER, SwitchKind.FAILBACK,
                    SwitchKind.FAILOVER, SwitchKind.BOTH_DOWN, SwitchKind.RECOVERED);
            assertThat(events).extracting(SwitchEvent::to).containsExactly(
                    ActiveNode.SECONDARY, ActiveNode.PRIMARY, ActiveNode.SECONDARY, ActiveNode.PRIMARY,
                    ActiveNode.SECONDARY, ActiveNode.NONE, ActiveNode.SECONDARY);
            for (int i = 0; i < events.size(); i++) {
                SwitchEvent e = events.get(i);
                assertThat(e.reason()).as("reason of %s", e).isNotBlank();
                if (i > 0) {
                    SwitchEvent prev = events.get(i - 1);
                    assertThat(e.from()).as("event %d starts where %d ended", i, i - 1).isEqualTo(prev.to());
                    assertThat(e.epoch()).isGreaterThan(prev.epoch());
                    assertThat(e.time()).isAfterOrEqualTo(prev.time());
                }
            }
            assertThat(events.get(2).fromFailed()).isTrue();
            assertThat(events.get(0).fromFailed()).isFalse();
            assertThat(second).as("every listener hears the same transitions").containsExactlyElementsOf(events);
            assertThat(r.status().failoverCount()).isEqualTo(3);
        }
    }
}
