package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.mirror.model.Customer;
import io.dbredundancy.hibernate.mirror.model.PurchaseOrder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

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

import static io.dbredundancy.hibernate.mirror.MirrorFixture.awaitIdentical;
import static io.dbredundancy.hibernate.mirror.MirrorFixture.get;
import static io.dbredundancy.hibernate.mirror.MirrorFixture.inTx;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Outages and switches on two real servers: the journal keeps what the other side cannot take yet and drains when it
 * returns, writes made on the secondary flow back, ids never collide after a switch, and a row changed on both sides
 * keeps the change of the later epoch.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MirrorFailoverTest {

    static TwoServers servers;
    static TestUnit unit;

    @BeforeAll
    static void start() throws Exception {
        servers = TwoServers.start();
        unit = new TestUnit(servers, Map.of(), MirrorFixture.MODEL).createSchema();
    }

    @AfterAll
    static void stop() throws Exception {
        if (unit != null) {
            unit.close();
        }
        if (servers != null) {
            servers.close();
        }
    }

    private static void switchTo(Node to) {
        unit.mirror().beforeSwitch(to);
        Node from = unit.active.getAndSet(to);
        unit.mirror().afterSwitch(from, to, unit.epoch.incrementAndGet());
    }

    @Test
    @Order(1)
    void journalGrowsWhileTheSecondaryIsDownThenDrainsAndBothAreIdentical() throws Exception {
        servers.stop(Node.SECONDARY);
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
        long pendingWhileDown = unit.mirror().pending(Node.PRIMARY);
        assertThat(pendingWhileDown).as("journal entries waiting on the primary").isGreaterThan(0);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(unit.mirror().stats().note()).contains("secondary unreachable"));
        servers.restart(Node.SECONDARY);
        Thread.sleep(1_000);
        stop.set(true);
        for (Future<?> f : writers) {
            f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(written.get()).isGreaterThan(10);
        awaitIdentical(servers, 30);
        await().atMost(Duration.ofSeconds(10)).until(() -> unit.mirror().drainedTo(Node.SECONDARY));
        assertThat(unit.mirror().stats().note()).isNull();
    }

    @Test
    @Order(2)
    void noDuplicateKeyAfterFailoverAndFailbackForSequenceAndIdentityIds() throws Exception {
        for (int i = 0; i < 30; i++) {
            inTx(unit.sf, s -> {
                Customer c = new Customer("before");
                s.persist(c);
                PurchaseOrder o = new PurchaseOrder();
                o.customer = c;
                o.total = BigDecimal.TEN;
                s.persist(o);
            });
        }
        awaitIdentical(servers, 10);
        servers.stop(Node.PRIMARY); // the primary dies: the secondary's sequences were moved by the relay already
        switchTo(Node.SECONDARY);
        for (int i = 0; i < 60; i++) {
            inTx(unit.sf, s -> {
                Customer c = new Customer("on secondary");
                s.persist(c);
                PurchaseOrder o = new PurchaseOrder();
                o.customer = c;
                o.total = BigDecimal.ONE;
                s.persist(o);
            });
        }
        assertThat(unit.mirror().pending(Node.SECONDARY)).isGreaterThan(0);
        servers.restart(Node.PRIMARY);
        assertThat(unit.mirror().awaitDrainedTo(Node.PRIMARY, Duration.ofSeconds(20))).isTrue();
        awaitIdentical(servers, 10);
        switchTo(Node.PRIMARY);
        for (int i = 0; i < 60; i++) {
            inTx(unit.sf, s -> {
                Customer c = new Customer("after failback");
                s.persist(c);
                PurchaseOrder o = new PurchaseOrder();
                o.customer = c;
                o.total = BigDecimal.ONE;
                s.persist(o);
            });
        }
        awaitIdentical(servers, 10);
        assertThat(servers.count(Node.PRIMARY, "SELECT count(*) FROM purchaseorder WHERE total = 1")).isEqualTo(120);
    }

    @Test
    @Order(3)
    void rowChangedOnBothSidesKeepsTheChangeOfTheLaterEpoch() throws Exception {
        Long id = get(unit.sf, s -> {
            Customer c = new Customer("original");
            s.persist(c);
            return c.id;
        });
        awaitIdentical(servers, 10);
        long conflictsBefore = servers.count(Node.PRIMARY, "SELECT count(*) FROM redundancy_conflict")
                + servers.count(Node.SECONDARY, "SELECT count(*) FROM redundancy_conflict");

        servers.stop(Node.SECONDARY);
        inTx(unit.sf, s -> {
            s.find(Customer.class, id).name = "primary, epoch " + unit.epoch.get();
        });
        servers.stop(Node.PRIMARY);
        servers.restart(Node.SECONDARY);
        switchTo(Node.SECONDARY);
        inTx(unit.sf, s -> {
            s.find(Customer.class, id).name = "secondary, epoch " + unit.epoch.get();
        });
        servers.restart(Node.PRIMARY);

        awaitIdentical(servers, 20);
        String expected = "secondary, epoch " + unit.epoch.get();
        assertThat(servers.count(Node.PRIMARY, "SELECT count(*) FROM customer WHERE id = " + id + " AND name = '" + expected + "'"))
                .isEqualTo(1);
        long conflictsAfter = servers.count(Node.PRIMARY, "SELECT count(*) FROM redundancy_conflict")
                + servers.count(Node.SECONDARY, "SELECT count(*) FROM redundancy_conflict");
        assertThat(conflictsAfter - conflictsBefore).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(unit.mirror().stats().conflicts()).isGreaterThanOrEqualTo(1));
        switchTo(Node.PRIMARY);
    }
}
