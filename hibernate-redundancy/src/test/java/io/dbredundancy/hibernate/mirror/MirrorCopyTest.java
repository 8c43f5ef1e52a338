package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.RedundancySettings;
import io.dbredundancy.hibernate.mirror.copy.Basket;
import io.dbredundancy.hibernate.mirror.copy.Child;
import io.dbredundancy.hibernate.mirror.copy.Doc;
import io.dbredundancy.hibernate.mirror.copy.Leaf;
import io.dbredundancy.hibernate.mirror.copy.Page;
import io.dbredundancy.hibernate.mirror.copy.Parent;
import io.dbredundancy.hibernate.mirror.copy.SoftNote;
import io.dbredundancy.hibernate.mirror.copy.Stamped;
import io.dbredundancy.hibernate.testbed.PgServer;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.dbredundancy.hibernate.mirror.MirrorFixture.get;
import static io.dbredundancy.hibernate.mirror.MirrorFixture.inTx;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * After the relay drains, the standby is a copy of what committed, row for row, for the JPA patterns that used to
 * leave it different: trigger- and default-filled columns, a parent persisted in a later flush, soft deletes,
 * concurrent changes of one collection, large objects, batches bigger than the relay's byte limit, bulk statements,
 * and sync mode returning only once the commit is on the standby. Each test compares the two databases.
 */
@org.junit.jupiter.api.Tag("data-integrity")
class MirrorCopyTest {

    static final Class<?>[] MODEL = {Stamped.class, SoftNote.class, Parent.class, Child.class, Basket.class, Doc.class,
            Page.class, Leaf.class};
    /** The relay's byte limit for this class: a few of the {@link Page}s below make a batch. */
    static final long BATCH_BYTES = 64 * 1024;

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    static MirrorUnit unit;

    @BeforeAll
    static void start() throws SQLException {
        MirrorUnit.prepare(pg, MODEL);
        for (PgServer server : List.of(pg.primary(), pg.secondary())) {
            try (Connection c = server.connect(MirrorUnit.DB); Statement st = c.createStatement()) {
                // the usual updated_at trigger, and a default that differs between the two servers
                st.execute("CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$"
                        + " BEGIN NEW.updated_at := clock_timestamp(); RETURN NEW; END $$");
                st.execute("CREATE TRIGGER stamped_stamp BEFORE INSERT OR UPDATE ON stamped"
                        + " FOR EACH ROW EXECUTE FUNCTION stamp()");
                st.execute("ALTER TABLE stamped ALTER COLUMN origin_db SET DEFAULT 'port ' || inet_server_port()");
            }
        }
        System.setProperty("io.dbredundancy.mirror.batch_bytes", Long.toString(BATCH_BYTES));
        try {
            unit = new MirrorUnit(pg, "mirror-copy", Map.of(), MODEL);
        } finally {
            System.clearProperty("io.dbredundancy.mirror.batch_bytes");
        }
    }

    @AfterAll
    static void stop() {
        if (unit != null) {
            unit.close();
        }
    }

    @Test
    void triggerAndDefaultFilledColumnsCarryTheOriginsValues() {
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int n = i;
            ids.add(get(unit.sf, s -> {
                Stamped row = new Stamped();
                row.label = "row " + n;
                s.persist(row);
                return row.id;
            }));
        }
        inTx(unit.sf, s -> ids.forEach(id -> s.find(Stamped.class, id).label += " changed"));
        unit.awaitIdentical(10);
        assertThat(unit.mirror().relay(Node.PRIMARY).appliesAsReplica()).isTrue();
    }

    @Test
    void aParentPersistedInALaterFlushArrivesWithItsChild() {
        Child.withParentInALaterFlush(unit.sf);
        unit.awaitIdentical(10);
        assertThat(parked()).isZero();
    }

    @Test
    void aDeleteTheDatabaseCascadesIsCascadedOnTheStandbyToo() {
        Long id = get(unit.sf, s -> {
            Parent p = new Parent();
            p.name = "with leaves";
            s.persist(p);
            for (int i = 0; i < 3; i++) {
                Leaf l = new Leaf();
                l.parent = p;
                s.persist(l);
            }
            return p.id;
        });
        unit.awaitIdentical(10);
        inTx(unit.sf, s -> s.remove(s.find(Parent.class, id)));
        unit.awaitIdentical(10);
        assertThat(parked()).isZero();
    }

    @Test
    void aSoftDeleteArrivesAsTheUpdateItIs() throws SQLException {
        Long id = get(unit.sf, s -> {
            SoftNote note = new SoftNote();
            note.text = "kept";
            s.persist(note);
            return note.id;
        });
        inTx(unit.sf, s -> s.remove(s.find(SoftNote.class, id)));
        unit.awaitIdentical(10);
        assertThat(unit.count(Node.SECONDARY, "SELECT count(*) FROM softnote WHERE deleted AND id = " + id)).isEqualTo(1);
    }

    @Test
    void concurrentAdditionsToOneCollectionAllArrive() throws Exception {
        Long id = get(unit.sf, s -> {
            Basket b = new Basket();
            b.name = "shared";
            b.items.add("a");
            s.persist(b);
            return b.id;
        });
        unit.awaitIdentical(10);
        // the first transaction reads its snapshot (repeatable read), then the second adds and commits, then the
        // first adds and commits: the first's view of the collection never holds the second's addition
        CountDownLatch firstRead = new CountDownLatch(1);
        CountDownLatch secondDone = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> first = pool.submit(() -> inTx(unit.sf, s -> {
                s.doWork(c -> {
                    try (Statement st = c.createStatement()) {
                        st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
                    }
                });
                Basket b = s.find(Basket.class, id);
                b.items.size();
                firstRead.countDown();
                awaitLatch(secondDone);
                b.items.add("x");
            }));
            awaitLatch(firstRead);
            inTx(unit.sf, s -> s.find(Basket.class, id).items.add("y"));
            secondDone.countDown();
            first.get(20, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        unit.awaitIdentical(10);
        assertThat(unit.count(Node.SECONDARY, "SELECT count(*) FROM basket_item WHERE basket_id = " + id)).isEqualTo(3);
    }

    @Test
    void aLargeObjectNeverOverwritesAnotherRowsObject() throws Exception {
        // the relay of the primary waits while this test prepares the secondary
        try (Connection hold = pg.primary().connect(MirrorUnit.DB); Statement h = hold.createStatement()) {
            h.execute("SELECT pg_advisory_lock(" + Relay.lockKey(Node.PRIMARY) + ")");
            inTx(unit.sf, s -> {
                Doc d = new Doc();
                d.id = 1L;
                d.name = "mirrored";
                d.data = "the primary's document".getBytes();
                s.persist(d);
            });
            long oid = unit.count(Node.PRIMARY, "SELECT data FROM doc WHERE id = 1");
            // on the secondary that oid already holds another row's object (oids are allocated per database)
            for (PgServer server : List.of(pg.secondary(), pg.primary())) {
                try (Connection c = server.connect(MirrorUnit.DB); Statement st = c.createStatement()) {
                    long own = server == pg.secondary() ? oid : 0;
                    st.execute("INSERT INTO doc (id, name, data) VALUES (2, 'other', lo_from_bytea(" + own
                            + ", convert_to('the other row''s document', 'UTF8')))");
                }
            }
            h.execute("SELECT pg_advisory_unlock(" + Relay.lockKey(Node.PRIMARY) + ")");
        }
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> docs(Node.SECONDARY).equals(docs(Node.PRIMARY)));
        assertThat(docs(Node.SECONDARY)).containsEntry(2L, "the other row's document")
                .containsEntry(1L, "the primary's document");
        inTx(unit.sf, s -> s.find(Doc.class, 1L).data = "changed".getBytes());
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> docs(Node.SECONDARY).equals(docs(Node.PRIMARY)));
        assertThat(docs(Node.SECONDARY)).containsEntry(2L, "the other row's document").containsEntry(1L, "changed");
    }

    @Test
    void aBatchBiggerThanTheRelaysByteLimitIsAppliedInParts() {
        String body = "p".repeat(8 * 1024);
        try (Connection hold = pg.primary().connect(MirrorUnit.DB); Statement h = hold.createStatement()) {
            h.execute("SELECT pg_advisory_lock(" + Relay.lockKey(Node.PRIMARY) + ")");
            for (int t = 0; t < 4; t++) {
                inTx(unit.sf, s -> {
                    for (int i = 0; i < 50; i++) {
                        Page p = new Page();
                        p.body = body + i;
                        s.persist(p);
                    }
                });
            }
            h.execute("SELECT pg_advisory_unlock(" + Relay.lockKey(Node.PRIMARY) + ")");
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
        unit.awaitIdentical(20);
        assertThat(parked()).isZero();
    }

    @Test
    void bulkAndNativeStatementsArriveWithTheDefaultSettings() {
        inTx(unit.sf, s -> {
            for (int i = 0; i < 10; i++) {
                Parent p = new Parent();
                p.name = "bulk " + i;
                s.persist(p);
            }
        });
        inTx(unit.sf, s -> s.createMutationQuery("update Parent set name = name || ' (hql)' where name like 'bulk %'")
                .executeUpdate());
        inTx(unit.sf, s -> s.createNativeMutationQuery("WITH picked AS (SELECT id FROM parent WHERE name LIKE 'bulk 1%')"
                + " UPDATE parent SET name = name || ' (with)' WHERE id IN (SELECT id FROM picked)").executeUpdate());
        // a flush that throws does not blind the detection for the thread
        assertThatThrownBy(() -> inTx(unit.sf, s -> {
            s.createNativeMutationQuery("INSERT INTO doc (id, name) VALUES (100, 'raw')").executeUpdate();
            Doc d = new Doc();
            d.id = 100L;
            d.name = "duplicate";
            s.persist(d);
            s.flush();
        })).isInstanceOf(RuntimeException.class);
        inTx(unit.sf, s -> s.createNativeMutationQuery("DELETE FROM parent WHERE name LIKE 'bulk 2%'").executeUpdate());
        unit.awaitIdentical(15);
    }

    @Test
    void syncModeReturnsOnlyOnceTheCommitIsOnTheStandby() throws Exception {
        try (MirrorUnit sync = new MirrorUnit(pg, "mirror-copy-sync", Map.of(RedundancySettings.MIRROR_MODE, "sync"), MODEL)) {
            AtomicInteger missing = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int thread = t;
                    done.add(pool.submit(() -> {
                        try (Connection standby = pg.secondary().connect(MirrorUnit.DB);
                             Statement st = standby.createStatement()) {
                            for (int i = 0; i < 50; i++) {
                                String name = "sync " + thread + "/" + i;
                                Long id = get(sync.sf, s -> {
                                    Parent p = new Parent();
                                    p.name = name;
                                    s.persist(p);
                                    return p.id;
                                });
                                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM parent WHERE id = " + id)) {
                                    rs.next();
                                    if (rs.getInt(1) != 1) {
                                        missing.incrementAndGet();
                                    }
                                }
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(120, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(sync.mirror().stats().toStatus()).isNotNull();
            assertThat(missing.get()).as("commits that returned before they were on the standby").isZero();
        }
        unit.awaitIdentical(10);
    }

    private static Map<Long, String> docs(Node n) throws SQLException {
        Map<Long, String> out = new java.util.TreeMap<>();
        try (Connection c = unit.server(n).connect(MirrorUnit.DB); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, convert_from(lo_get(data), 'UTF8') FROM doc")) {
            while (rs.next()) {
                out.put(rs.getLong(1), rs.getString(2));
            }
        }
        return out;
    }

    private static long parked() {
        try {
            return unit.count(Node.PRIMARY, "SELECT count(*) FROM redundancy_parked");
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            if (!latch.await(20, TimeUnit.SECONDS)) {
                throw new AssertionError("timed out");
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
