package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.mirror.model.Customer;
import io.dbredundancy.hibernate.mirror.model.PurchaseOrder;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static io.dbredundancy.hibernate.mirror.MirrorFixture.get;
import static io.dbredundancy.hibernate.mirror.MirrorFixture.inTx;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Outages and switches driven by the plugin's own health monitor on two real servers: the journal keeps what the
 * other side cannot take yet and drains when it returns, writes made on the secondary flow back before failback,
 * ids never collide after a switch, and a row changed on both sides keeps the change of the later epoch.
 */
@org.junit.jupiter.api.Tag("data-integrity")
class MirrorFailoverTest {

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    MirrorUnit unit;

    @BeforeAll
    static void schema() {
        MirrorUnit.prepare(pg, MirrorFixture.MODEL);
    }

    @BeforeEach
    void open() {
        unit = new MirrorUnit(pg, "mirror-failover", Map.of(), MirrorFixture.MODEL);
    }

    @AfterEach
    void close() {
        unit.close();
    }

    private void customerWithOrder(String name) {
        inTx(unit.sf, s -> {
            Customer c = new Customer(name);
            s.persist(c);
            PurchaseOrder o = new PurchaseOrder();
            o.customer = c;
            o.total = BigDecimal.ONE;
            s.persist(o);
        });
    }

    @Test
    void journalGrowsWhileTheSecondaryIsDownThenDrainsAndBothAreIdentical() throws Exception {
        pg.secondary().stop();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong written = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> writers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            writers.add(pool.submit(() -> {
                while (!stop.get()) {
                    Long id = get(unit.sf, s -> {
                        Customer c = new Customer("load");
                        s.persist(c);
                        return c.id;
                    });
                    inTx(unit.sf, s -> {
                        s.find(Customer.class, id).name = "load-updated";
                    });
                    written.incrementAndGet();
                }
            }));
        }
        Thread.sleep(3_000);
        assertThat(unit.mirror().pending(Node.PRIMARY)).as("journal entries waiting on the primary").isGreaterThan(0);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(unit.redundancy.status().mirror().note()).contains("secondary unreachable"));
        assertThat(unit.redundancy.status().mirror().pending()).isGreaterThan(0);
        pg.secondary().restart();
        Thread.sleep(1_000);
        stop.set(true);
        for (Future<?> f : writers) {
            f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(written.get()).isGreaterThan(10);
        unit.awaitIdentical(30);
        await().atMost(Duration.ofSeconds(10)).until(() -> unit.mirror().drainedTo(Node.SECONDARY));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(unit.redundancy.status().mirror().note()).isNull());
    }

    @Test
    void noDuplicateKeyAfterFailoverAndFailbackForSequenceAndIdentityIds() throws Exception {
        for (int i = 0; i < 30; i++) {
            customerWithOrder("before");
        }
        unit.awaitIdentical(10);
        pg.primary().kill9();
        unit.awaitActive("secondary", 15);
        for (int i = 0; i < 60; i++) {
            customerWithOrder("on secondary");
        }
        assertThat(unit.mirror().pending(Node.SECONDARY)).isGreaterThan(0);
        pg.primary().restart();
        unit.awaitActive("primary", 40);
        assertThat(unit.mirror().pending(Node.SECONDARY)).as("failback waited for the drain").isZero();
        for (int i = 0; i < 60; i++) {
            customerWithOrder("after failback");
        }
        unit.awaitIdentical(10);
        assertThat(unit.count(Node.PRIMARY, "SELECT count(*) FROM purchaseorder")).isEqualTo(150);
        assertThat(unit.count(Node.PRIMARY, "SELECT count(*) FROM customer WHERE name IN ('before', 'on secondary', 'after failback')")).isEqualTo(150);
    }

    @Test
    void afterThePrimaryFailsTheSecondaryLeavesRoomForIdsThePrimaryIssuedThatNeverReachedIt() throws Exception {
        for (int i = 0; i < 5; i++) {
            customerWithOrder("before");
        }
        unit.awaitIdentical(10);
        // id blocks the primary handed out whose rows never reached the secondary (not relayed yet, or held in memory
        // by other application instances)
        long issued = unit.count(Node.PRIMARY, "SELECT max(nextval('customer_seq')) FROM generate_series(1, 20)");
        pg.primary().kill9();
        unit.awaitActive("secondary", 15);
        Long id = get(unit.sf, s -> {
            Customer c = new Customer("after the failover");
            s.persist(c);
            return c.id;
        });
        assertThat(id).isGreaterThan(issued);
    }

    @Test
    void rowChangedOnBothSidesKeepsTheChangeOfTheLaterEpoch() throws Exception {
        Long id = get(unit.sf, s -> {
            Customer c = new Customer("original");
            s.persist(c);
            return c.id;
        });
        unit.awaitIdentical(10);
        long conflictsBefore = unit.count(Node.PRIMARY, "SELECT count(*) FROM redundancy_conflict")
                + unit.count(Node.SECONDARY, "SELECT count(*) FROM redundancy_conflict");

        pg.secondary().stop();
        inTx(unit.sf, s -> {
            s.find(Customer.class, id).name = "changed on the primary";
        });
        pg.primary().kill9();
        pg.secondary().restart();
        unit.awaitActive("secondary", 20);
        inTx(unit.sf, s -> {
            s.find(Customer.class, id).name = "changed on the secondary after the failover";
        });
        pg.primary().restart();
        unit.awaitActive("primary", 40);

        unit.awaitIdentical(20);
        assertThat(unit.count(Node.PRIMARY, "SELECT count(*) FROM customer WHERE id = " + id
                + " AND name = 'changed on the secondary after the failover'")).isEqualTo(1);
        long conflictsAfter = unit.count(Node.PRIMARY, "SELECT count(*) FROM redundancy_conflict")
                + unit.count(Node.SECONDARY, "SELECT count(*) FROM redundancy_conflict");
        assertThat(conflictsAfter - conflictsBefore).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(unit.redundancy.status().mirror().conflicts()).isGreaterThanOrEqualTo(1));
    }
}
