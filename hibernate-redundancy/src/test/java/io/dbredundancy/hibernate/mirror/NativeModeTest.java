package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.RedundancySettings;
import io.dbredundancy.hibernate.mirror.model.Customer;
import io.dbredundancy.hibernate.mirror.model.PurchaseOrder;
import io.dbredundancy.hibernate.replication.NativeIntegrator;
import io.dbredundancy.hibernate.replication.NativeReplication;
import io.dbredundancy.hibernate.replication.NativeRuntime;
import io.dbredundancy.hibernate.RedundancyStatus;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static io.dbredundancy.hibernate.mirror.MirrorFixture.get;
import static io.dbredundancy.hibernate.mirror.MirrorFixture.inTx;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * {@code mirror.mode=native} on two real PostgreSQL 17 servers with {@code wal_level=logical}: PostgreSQL's own
 * subscriptions carry every change both ways (bulk and native SQL included) without echoes, the fence refuses writes on
 * the standby, a kill -9 of the primary under load loses no acknowledged write and makes no duplicate key, failback
 * waits until the secondary's changes have arrived, and a subscription stopped by a conflict is reported and resumes.
 */
@org.junit.jupiter.api.Tag("data-integrity")
class NativeModeTest {

    private static final long SEED = 20261204L;

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair(PostgresPair.logical());

    MirrorUnit unit;

    @BeforeAll
    static void schema() {
        MirrorUnit.prepare(pg, MirrorFixture.MODEL);
    }

    @BeforeEach
    void open() {
        unit = open(Map.of());
    }

    private static MirrorUnit open(Map<String, Object> extra) {
        // each subscription reaches its publisher through a proxy, so a test can hold a direction back
        Map<String, Object> settings = new java.util.HashMap<>(Map.of(RedundancySettings.MIRROR_MODE, "native",
                RedundancySettings.PRIMARY_REPLICATION_URL, pg.primaryProxy().jdbcUrl(MirrorUnit.DB),
                RedundancySettings.SECONDARY_REPLICATION_URL, pg.secondaryProxy().jdbcUrl(MirrorUnit.DB)));
        settings.putAll(extra);
        return new MirrorUnit(pg, "native", settings, MirrorFixture.MODEL);
    }

    @AfterEach
    void close() {
        unit.close();
    }

    private NativeRuntime nativeRuntime() {
        return NativeIntegrator.of(unit.sf);
    }

    private Long customerWithOrder(String name) {
        return get(unit.sf, s -> {
            Customer c = new Customer(name);
            s.persist(c);
            PurchaseOrder o = new PurchaseOrder();
            o.customer = c;
            o.total = BigDecimal.ONE;
            s.persist(o);
            return c.id;
        });
    }

    private RedundancyStatus.Replication direction(String to) {
        return unit.redundancy.status().mirror().replication().stream().filter(d -> d.to().equals(to)).findFirst()
                .orElseThrow();
    }

    @Test
    void everyChangeFlowsBothWaysTheStandbyIsFencedAndSetupIsIdempotent() throws Exception {
        assertThat(unit.mirror()).as("no journal mirror in native mode").isNull();
        for (int i = 0; i < 20; i++) {
            customerWithOrder("native " + i);
        }
        inTx(unit.sf, s -> s.createMutationQuery("update Customer set name = name || ' (bulk)' where name like 'native 1%'")
                .executeUpdate());
        try (Connection c = pg.primary().connect(MirrorUnit.DB); Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE customer SET name = 'psql' WHERE name = 'native 2'");
        }
        unit.awaitIdentical(30);
        assertThat(unit.count(Node.SECONDARY, "SELECT count(*) FROM customer WHERE name LIKE '%(bulk)'")).isEqualTo(11);

        // a second setup refreshes, changes nothing, and both directions stream
        NativeReplication again = nativeRuntime().replication();
        assertThat(again.setup(Duration.ofSeconds(10)).lines()).as("nothing created twice")
                .noneMatch(l -> l.contains("publication") || l.contains("subscription") || l.contains("IDENTITY"));
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            assertThat(direction("secondary").state()).isEqualTo("streaming");
            assertThat(direction("primary").state()).isEqualTo("streaming");
        });
        assertThat(unit.redundancy.status().toJson()).contains("\"replication\":[").contains("\"state\":\"streaming\"");
        io.micrometer.core.instrument.simple.SimpleMeterRegistry registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        new io.dbredundancy.hibernate.metrics.RedundancyMetrics(unit.redundancy::status).bindTo(registry);
        for (String direction : List.of("to_secondary", "to_primary")) {
            assertThat(registry.get("db.redundancy.replication.streaming").tag("direction", direction).gauge().value()).isEqualTo(1.0);
            assertThat(registry.get("db.redundancy.replication.lag.bytes").tag("direction", direction).gauge().value())
                    .isGreaterThanOrEqualTo(0);
        }

        // a write on the standby, from any client, is refused by its lease
        try (Connection c = pg.secondary().connect(MirrorUnit.DB); Statement st = c.createStatement()) {
            assertThatThrownBy(() -> st.executeUpdate("UPDATE customer SET name = 'stray' WHERE name = 'psql'"))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("RD001"));
        }
        // and a row written on the secondary by its subscription's peer still arrives: the fence is not on the apply
        unit.awaitIdentical(10);
    }

    @Test
    void killNineUnderLoadLosesNothingMakesNoDuplicateKeyAndFailbackWaitsForTheSecondarysChanges() throws Exception {
        Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicLong duplicates = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Future<?>> writers = new ArrayList<>();
        try {
            for (int t = 0; t < 3; t++) {
                Random random = new Random(SEED + t);
                writers.add(pool.submit(() -> {
                    while (!stop.get()) {
                        try {
                            acknowledged.add(customerWithOrder("load-" + random.nextInt(1_000_000)));
                        } catch (RuntimeException e) {
                            if (String.valueOf(rootMessage(e)).contains("duplicate key")) {
                                duplicates.incrementAndGet();
                            }
                            sleep(20); // a write cut by the failover: not acknowledged, not counted
                        }
                    }
                }));
            }
            Thread.sleep(1_500);
            pg.primary().kill9();
            unit.awaitActive("secondary", 15);
            Thread.sleep(1_500);
            // the secondary's changes cannot reach the primary: failback must wait for them
            pg.secondaryProxy().freeze();
            pg.primary().restart();
            Thread.sleep(5_000);
            assertThat(unit.active()).as("failback held while the secondary's changes are not on the primary (seed "
                    + SEED + ")").isEqualTo("secondary");
            pg.secondaryProxy().restore();
            unit.awaitActive("primary", 60);
            Thread.sleep(1_000);
        } finally {
            stopWriters(stop, writers, pool);
        }
        assertThat(acknowledged).as("seed " + SEED).hasSizeGreaterThan(30);
        unit.awaitIdentical(60);
        assertAllArrived(acknowledged);
        assertThat(duplicates.get()).as("duplicate keys (seed " + SEED + ")").isZero();
    }

    @Test
    void aSubscriptionStuckOnAConflictIsReportedAndResumesOnceTheRowIsFixed() throws Exception {
        Long id = customerWithOrder("before the conflict");
        unit.awaitIdentical(20);
        long taken = -id; // no generator issues it
        // a row the secondary got from elsewhere (a session of another replication origin, which passes the fence and
        // is not published back), then the same key on the primary: applying it on the secondary is a unique
        // violation, again at every retry of the subscription's worker
        asOtherOrigin("INSERT INTO customer (id, version, name) VALUES (" + taken + ", 0, 'secondary only')");
        try (Connection c = pg.primary().connect(MirrorUnit.DB); Statement st = c.createStatement()) {
            st.executeUpdate("INSERT INTO customer (id, version, name) VALUES (" + taken + ", 0, 'primary')");
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            RedundancyStatus.Replication d = direction("secondary");
            assertThat(d.state()).isEqualTo("failing");
            assertThat(d.errors()).isPositive();
            assertThat(d.lastError()).contains("unique violation").contains("server's log");
        });
        assertThat(unit.redundancy.status().mirror().note()).contains("primary -> secondary failing");

        asOtherOrigin("DELETE FROM customer WHERE id = " + taken);
        // the worker's next retry applies the change
        unit.awaitIdentical(30);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(direction("secondary").state()).isEqualTo("streaming"));
    }

    @Test
    void sigstopOfThePrimaryUnderLoadLosesNothingAndBothAreIdenticalAfterFailback() throws Exception {
        Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<?>> writers = new ArrayList<>();
        try {
            for (int t = 0; t < 2; t++) {
                Random random = new Random(SEED + 10 + t);
                writers.add(pool.submit(() -> {
                    while (!stop.get()) {
                        try {
                            acknowledged.add(customerWithOrder("stop-" + random.nextInt(1_000_000)));
                        } catch (RuntimeException e) {
                            sleep(20);
                        }
                    }
                }));
            }
            Thread.sleep(1_000);
            pg.primary().freeze();
            unit.awaitActive("secondary", 15);
            Thread.sleep(1_500);
            pg.primary().thaw();
            unit.awaitActive("primary", 60);
            Thread.sleep(1_000);
        } finally {
            stopWriters(stop, writers, pool);
        }
        unit.awaitIdentical(60);
        assertAllArrived(acknowledged);
    }

    @Test
    void aRowChangedOnBothSidesDuringAPartitionKeepsTheChangeOfTheLaterEpochOnBoth() throws Exception {
        Long id = customerWithOrder("original");
        Long other = customerWithOrder("original too");
        unit.awaitIdentical(20);
        long conflictsBefore = unit.count(Node.SECONDARY, "SELECT count(*) FROM redundancy_conflict");
        // the primary's change is committed but not sent when it fails
        pg.primaryProxy().freeze();
        inTx(unit.sf, s -> {
            s.find(Customer.class, id).name = "changed on the primary";
            s.find(Customer.class, other).name = "changed on the primary only";
        });
        pg.primary().kill9();
        unit.awaitActive("secondary", 15);
        inTx(unit.sf, s -> {
            s.find(Customer.class, id).name = "changed on the secondary after the failover";
        });
        pg.primaryProxy().restore();
        pg.primary().restart();
        unit.awaitActive("primary", 60);
        unit.awaitIdentical(30);
        for (Node n : Node.values()) {
            assertThat(unit.count(n, "SELECT count(*) FROM customer WHERE id = " + id
                    + " AND name = 'changed on the secondary after the failover'")).as("the later epoch's change on the " + n)
                    .isEqualTo(1);
            assertThat(unit.count(n, "SELECT count(*) FROM customer WHERE id = " + other
                    + " AND name = 'changed on the primary only'")).as("a late change of a row the secondary left alone, on the "
                    + n).isEqualTo(1);
        }
        assertThat(unit.count(Node.SECONDARY, "SELECT count(*) FROM redundancy_conflict WHERE table_name = 'customer'"
                + " AND loser_image->>'name' = 'changed on the primary'")).as("the loser's image is kept").isEqualTo(1);
        assertThat(unit.count(Node.SECONDARY, "SELECT count(*) FROM redundancy_conflict") - conflictsBefore).isEqualTo(1);
    }

    @Test
    void aSessionThatPassedTheFenceBeforeASwitchIsRefusedAfterItUnderReadCommittedAndRepeatableRead() throws Exception {
        Long id = customerWithOrder("fenced");
        unit.awaitIdentical(20);
        try (Connection rc = pg.primary().connect(MirrorUnit.DB); Connection rr = pg.primary().connect(MirrorUnit.DB);
             Statement a = rc.createStatement(); Statement b = rr.createStatement()) {
            // both sessions pass the fence once (the read-committed one keeps the lease's generation), then the
            // repeatable-read one opens a transaction whose snapshot predates the switch
            a.executeUpdate("UPDATE customer SET name = 'rc before' WHERE id = " + id);
            rr.setAutoCommit(false);
            rr.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            b.executeQuery("SELECT count(*) FROM customer").close();
            unit.redundancy.failover();
            unit.awaitActive("secondary", 15);
            assertThatThrownBy(() -> a.executeUpdate("UPDATE customer SET name = 'rc after' WHERE id = " + id))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("RD001"));
            assertThatThrownBy(() -> b.executeUpdate("UPDATE customer SET name = 'rr after' WHERE id = " + id))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("RD001"));
            rr.rollback();
        } finally {
            // a manual failback waits for the failback gate too: asked again until the marker has arrived
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
                unit.redundancy.failback();
                return true;
            });
            unit.awaitActive("primary", 15);
        }
        unit.awaitIdentical(20);
    }

    @Test
    void aTableTheSchemaStepAddsIsReplicatedAfterTheNextStart() throws Exception {
        unit.close();
        for (Node n : Node.values()) {
            try (Connection c = unit.server(n).connect(MirrorUnit.DB); Statement st = c.createStatement()) {
                st.execute("DROP TABLE IF EXISTS native_extra");
            }
        }
        unit = open(Map.of(RedundancySettings.SCHEMA_CHANGELOG, "db/native-test/changelog.xml"));
        try (Connection c = pg.primary().connect(MirrorUnit.DB); Statement st = c.createStatement()) {
            st.executeUpdate("INSERT INTO native_extra VALUES (1, 'added by the schema step')");
        }
        unit.awaitIdentical(30);
        assertThat(unit.count(Node.SECONDARY, "SELECT count(*) FROM native_extra")).isEqualTo(1);
    }

    private static void stopWriters(AtomicBoolean stop, List<Future<?>> writers, ExecutorService pool) throws Exception {
        stop.set(true);
        for (Future<?> f : writers) {
            f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();
    }

    /** Every acknowledged customer id is on both databases. */
    private void assertAllArrived(Set<Long> acknowledged) throws SQLException {
        for (Node n : Node.values()) {
            long present = unit.count(n, "SELECT count(*) FROM customer WHERE id = ANY ('{"
                    + String.join(",", acknowledged.stream().map(String::valueOf).toList()) + "}'::bigint[])");
            assertThat(present).as("acknowledged writes on the " + n + " (seed " + SEED + ")").isEqualTo(acknowledged.size());
        }
    }

    /** Runs {@code sql} on the secondary as a change of another replication origin, so it is not published. */
    private static void asOtherOrigin(String sql) throws SQLException {
        try (Connection c = pg.secondary().connect(MirrorUnit.DB); Statement st = c.createStatement()) {
            st.execute("SELECT pg_replication_origin_create('redundancy_test_elsewhere') WHERE NOT EXISTS"
                    + " (SELECT 1 FROM pg_replication_origin WHERE roname = 'redundancy_test_elsewhere')");
            st.execute("SELECT pg_replication_origin_session_setup('redundancy_test_elsewhere')");
            st.execute("SET session_replication_role = replica");
            st.executeUpdate(sql);
            st.execute("SELECT pg_replication_origin_session_reset()");
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
