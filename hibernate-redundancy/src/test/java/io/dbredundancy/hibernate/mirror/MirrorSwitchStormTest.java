package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.mirror.model.Customer;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static io.dbredundancy.hibernate.mirror.MirrorFixture.inTx;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many quick manual switches while writers insert rows with sequence ids (pooled optimizer): every switch moves the
 * new node's sequences past the ids issued on the other before a session there takes a connection, so no insert
 * fails on a duplicate key.
 */
@org.junit.jupiter.api.Tag("data-integrity")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class MirrorSwitchStormTest {

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    @Test
    void idsNeverCollideAcrossManyQuickSwitchesUnderLoad() throws Exception {
        MirrorUnit.prepare(pg, MirrorFixture.MODEL);
        try (MirrorUnit unit = new MirrorUnit(pg, "switch-storm", Map.of(), MirrorFixture.MODEL)) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong written = new AtomicLong();
            List<Throwable> duplicates = new CopyOnWriteArrayList<>();
            List<String> others = new CopyOnWriteArrayList<>();
            List<Thread> writers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread w = new Thread(() -> {
                    while (!stop.get()) {
                        try {
                            inTx(unit.sf, s -> s.persist(new Customer("storm")));
                            written.incrementAndGet();
                        } catch (RuntimeException e) {
                            if (duplicateKey(e)) {
                                duplicates.add(e);
                            } else {
                                others.add(String.valueOf(e.getMessage()));
                            }
                        }
                        sleep(5);
                    }
                });
                w.start();
                writers.add(w);
            }
            int switches = 0;
            try {
                sleep(500);
                for (int i = 0; i < 40; i++) {
                    if ("primary".equals(unit.redundancy.status().activeDatabase())) {
                        unit.redundancy.failover();
                    } else {
                        long deadline = System.currentTimeMillis() + 15_000;
                        while (true) {
                            try {
                                unit.redundancy.failback(); // refused while the journal drains back
                                break;
                            } catch (IllegalStateException refused) {
                                assertThat(System.currentTimeMillis()).as(refused.getMessage()).isLessThan(deadline);
                                sleep(50);
                            }
                        }
                    }
                    switches++;
                    sleep(150);
                }
            } finally {
                stop.set(true);
                for (Thread w : writers) {
                    w.join(10_000);
                }
            }
            System.out.println("[measure] " + switches + " switches, " + written.get() + " rows, " + duplicates.size()
                    + " duplicate-key failures, " + others.size() + " other failures " + others.stream().distinct().limit(5).toList());
            assertThat(written.get()).isPositive();
            assertThat(duplicates).as("inserts that hit a duplicate key").isEmpty();
        }
    }

    private static boolean duplicateKey(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof SQLException se && "23505".equals(se.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
