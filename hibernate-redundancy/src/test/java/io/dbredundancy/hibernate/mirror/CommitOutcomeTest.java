package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.CommitOutcome;
import io.dbredundancy.hibernate.CommitOutcomeUnknownException;
import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.RedundancySettings;
import io.dbredundancy.hibernate.mirror.model.Note;
import io.dbredundancy.hibernate.outcome.TransactionId;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import jakarta.persistence.EntityManager;
import jakarta.persistence.RollbackException;
import org.hibernate.Session;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

/**
 * The connection dies while the database is committing: the application gets a CommitOutcomeUnknownException with a
 * transaction id, and {@code Redundancy.outcome(id)} answers from the databases: committed (the commit completed on
 * the server although the link was cut) or not committed (the session was terminated in the middle of the commit).
 * A test-only deferred trigger on the primary sleeps at commit ({@code note.text} "sleep N ..."), so the fault lands
 * while the server is inside the COMMIT.
 */
@org.junit.jupiter.api.Tag("data-integrity")
class CommitOutcomeTest {

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    MirrorUnit unit;

    private static final java.util.logging.Logger OUTCOME_LOG = java.util.logging.Logger.getLogger("io.dbredundancy.hibernate.outcome");

    @BeforeAll
    static void schema() throws SQLException {
        // the resolver's reasons for UNKNOWN are DEBUG lines: show them in the test output
        OUTCOME_LOG.setLevel(java.util.logging.Level.FINE);
        java.util.logging.ConsoleHandler handler = new java.util.logging.ConsoleHandler();
        handler.setLevel(java.util.logging.Level.FINE);
        OUTCOME_LOG.addHandler(handler);
        MirrorUnit.prepare(pg, Note.class);
        try (Connection c = pg.primary().connect(MirrorUnit.DB); Statement st = c.createStatement()) {
            st.execute("CREATE FUNCTION test_sleep_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$"
                    + " BEGIN IF NEW.text LIKE 'sleep %' THEN PERFORM pg_sleep(split_part(NEW.text, ' ', 2)::float8);"
                    + " END IF; RETURN NULL; END $$");
            st.execute("CREATE CONSTRAINT TRIGGER test_sleep_at_commit AFTER INSERT ON note"
                    + " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_sleep_at_commit()");
        }
    }

    @AfterEach
    void close() {
        if (unit != null) {
            unit.close();
        }
    }

    /** A unit whose primary is reached through the proxy, so the test can cut the link. */
    private MirrorUnit open(String name, Map<String, Object> extra) {
        Map<String, Object> settings = new java.util.HashMap<>(extra);
        settings.put(RedundancySettings.PRIMARY_URL, pg.primaryProxy().jdbcUrl(MirrorUnit.DB));
        settings.put(RedundancySettings.HEALTH_TIMEOUT_MS, "2000"); // a loaded test machine is no outage
        unit = new MirrorUnit(pg, name, settings, Note.class);
        return unit;
    }

    @Test
    void commitThatCompletedOnTheServerWhileTheLinkWasCutIsReportedCommitted() throws Exception {
        open("outcome-committed", Map.of());
        CompletableFuture<Throwable> commit = CompletableFuture.supplyAsync(() -> {
            EntityManager em = unit.emf.createEntityManager();
            try {
                em.getTransaction().begin();
                em.persist(new Note("sleep 3 committed"));
                em.getTransaction().commit();
                return null;
            } catch (RuntimeException e) {
                return e;
            } finally {
                em.close();
            }
        });
        committingBackend(commit, Duration.ofSeconds(20));
        pg.primaryProxy().cut();
        Throwable failure = commit.get(30, TimeUnit.SECONDS);

        // JPA wraps it: what the application catches is a RollbackException, the distinct exception is among its causes
        assertThat(failure).isInstanceOf(RollbackException.class);
        CommitOutcomeUnknownException unknown = CommitOutcomeUnknownException.find(failure).orElseThrow(
                () -> new AssertionError("no CommitOutcomeUnknownException in", failure));
        assertThat(unknown.getSQLState()).isEqualTo("08007");
        assertThat(unknown.node()).isEqualTo(Node.PRIMARY);
        String id = unknown.transactionId();
        assertThat(id).startsWith("primary:");
        assertThat(unknown.getMessage()).contains(id);

        // the database it ran on is out of reach and the other has no record yet
        assertThat(unit.redundancy.outcome(id, Duration.ofSeconds(1))).isEqualTo(CommitOutcome.UNKNOWN);

        pg.primaryProxy().restore();
        awaitOutcome(id, CommitOutcome.COMMITTED);
        assertThat(unit.count(Node.PRIMARY, "SELECT count(*) FROM note WHERE text = 'sleep 3 committed'")).isOne();

        // the relay brings its record to the secondary with its change: the secondary answers alone
        UUID uuid = TransactionId.parse(id).uuid();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() ->
                unit.count(Node.SECONDARY, "SELECT count(*) FROM redundancy_tx WHERE tx_id = '" + uuid + "'") == 1);
        assertThat(unit.count(Node.SECONDARY, "SELECT count(*) FROM note WHERE text = 'sleep 3 committed'")).isOne();
        pg.primaryProxy().cut();
        assertThat(unit.redundancy.outcome(id, Duration.ofSeconds(1))).isEqualTo(CommitOutcome.COMMITTED);
    }

    @Test
    void commitWhoseSessionWasTerminatedDuringTheCommitIsReportedNotCommitted() throws Exception {
        open("outcome-terminated", Map.of());
        Throwable failure = terminatedDuringCommit("sleep 30 never");

        CommitOutcomeUnknownException unknown = CommitOutcomeUnknownException.find(failure).orElseThrow(
                () -> new AssertionError("no CommitOutcomeUnknownException in", failure));
        assertThat(unknown.getCause()).hasMessageContaining("terminating connection");
        String id = unknown.transactionId();
        assertThat(id).startsWith("primary:");

        awaitOutcome(id, CommitOutcome.NOT_COMMITTED);
        assertThat(unit.count(Node.PRIMARY, "SELECT count(*) FROM note WHERE text = 'sleep 30 never'")).isZero();

        // the secondary alone cannot tell that a transaction did not commit on the primary
        pg.primaryProxy().cut();
        assertThat(unit.redundancy.outcome(id, Duration.ofSeconds(1))).isEqualTo(CommitOutcome.UNKNOWN);
        pg.primaryProxy().restore();
        awaitOutcome(id, CommitOutcome.NOT_COMMITTED);
        assertThat(unit.count(Node.SECONDARY, "SELECT count(*) FROM note WHERE text = 'sleep 30 never'")).isZero();
    }

    @Test
    void transactionLeftOpenOnTheServerByAVanishedClientIsEndedAndReportedNotCommitted() throws Exception {
        open("outcome-orphan", Map.of());
        UUID uuid = UUID.randomUUID();
        // a client that recorded its transaction and vanished before its COMMIT arrived: the session idles in it
        Connection orphan = pg.primary().connect(MirrorUnit.DB);
        try {
            orphan.setAutoCommit(false);
            long xid;
            try (PreparedStatement ps = orphan.prepareStatement(
                    "SELECT b.xid FROM redundancy_tx_begin(?, 'primary', coalesce((SELECT epoch FROM redundancy_lease WHERE id = 1), 1)) AS b(xid)")) {
                ps.setObject(1, uuid);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    xid = rs.getLong(1);
                }
            }
            try (Statement st = orphan.createStatement()) {
                st.execute("INSERT INTO note (id, text) VALUES (-1, 'orphan')");
            }
            String id = new TransactionId(Node.PRIMARY, xid, uuid).toString();

            awaitOutcome(id, CommitOutcome.NOT_COMMITTED);
            // its session was ended: the COMMIT can no longer arrive
            assertThatThrownBy(orphan::commit).isInstanceOf(SQLException.class);
            assertThat(unit.count(Node.PRIMARY, "SELECT count(*) FROM note WHERE text = 'orphan'")).isZero();
        } finally {
            orphan.close();
        }
    }

    @Test
    void committedTransactionWhoseRecordWasPrunedIsUnknownNotNotCommitted() throws Exception {
        open("outcome-pruned", Map.of(RedundancySettings.MIRROR_MODE, "off"));
        UUID uuid = UUID.randomUUID();
        long xid;
        try (Connection c = pg.primary().connect(MirrorUnit.DB)) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT b.xid FROM redundancy_tx_begin(?, 'primary', coalesce((SELECT epoch FROM redundancy_lease WHERE id = 1), 1)) AS b(xid)")) {
                ps.setObject(1, uuid);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    xid = rs.getLong(1);
                }
            }
            c.commit();
            String id = new TransactionId(Node.PRIMARY, xid, uuid).toString();
            assertThat(unit.redundancy.outcome(id)).isEqualTo(CommitOutcome.COMMITTED);

            c.setAutoCommit(true);
            assertThat(io.dbredundancy.hibernate.outcome.OutcomeResolver.prune(c, Duration.ofHours(1))).isZero();
            assertThat(io.dbredundancy.hibernate.outcome.OutcomeResolver.prune(c, Duration.ZERO)).isPositive();
            // the record is gone, but PostgreSQL still knows the transaction committed
            assertThat(unit.redundancy.outcome(id)).isEqualTo(CommitOutcome.UNKNOWN);
        }
    }

    @Test
    void malformedIdsAreRejectedWithOneLine() {
        open("outcome-ids", Map.of(RedundancySettings.MIRROR_MODE, "off"));
        assertThatThrownBy(() -> unit.redundancy.outcome("42"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("node:xid:uuid");
    }

    @Test
    void commitThatJournaledNothingStillGetsTheDistinctExceptionWithoutAnId() throws Exception {
        open("outcome-unjournaled", Map.of(RedundancySettings.MIRROR_MODE, "off"));
        Throwable failure = terminatedDuringCommit("sleep 30 unjournaled");
        CommitOutcomeUnknownException unknown = CommitOutcomeUnknownException.find(failure).orElseThrow(
                () -> new AssertionError("no CommitOutcomeUnknownException in", failure));
        assertThat(unknown.transactionId()).isNull();
        assertThatThrownBy(() -> unit.redundancy.outcome(unknown.transactionId()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void statementErrorAtCommitIsNotAnUnknownOutcome() {
        open("outcome-constraint", Map.of());
        try (Session s = unit.sf.openSession()) {
            s.getTransaction().begin();
            s.createNativeMutationQuery("SET CONSTRAINTS ALL DEFERRED").executeUpdate();
            s.createNativeMutationQuery("CREATE TEMP TABLE t (x int UNIQUE DEFERRABLE INITIALLY DEFERRED)")
                    .executeUpdate();
            s.createNativeMutationQuery("INSERT INTO t VALUES (1), (1)").executeUpdate();
            s.persist(new Note("constraint"));
            Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() -> s.getTransaction().commit());
            assertThat(failure).isNotNull();
            assertThat(CommitOutcomeUnknownException.find(failure)).isEmpty();
        }
    }

    /** The pid of the primary's session that is running a COMMIT (sleeping in the test trigger). */
    /** Commits a note (its text makes the test trigger sleep at commit) and terminates the backend meanwhile. */
    private Throwable terminatedDuringCommit(String text) throws Exception {
        CompletableFuture<Throwable> commit = CompletableFuture.supplyAsync(() -> {
            try (Session s = unit.sf.openSession()) {
                s.getTransaction().begin();
                s.persist(new Note(text));
                s.getTransaction().commit();
                return null;
            } catch (RuntimeException e) {
                return e;
            }
        });
        int pid = committingBackend(commit, Duration.ofSeconds(20));
        try (Connection c = pg.primary().connect(MirrorUnit.DB); Statement st = c.createStatement()) {
            st.execute("SELECT pg_terminate_backend(" + pid + ")");
        }
        return commit.get(30, TimeUnit.SECONDS);
    }

    private static int committingBackend(CompletableFuture<Throwable> commit, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            if (commit.isDone()) {
                throw new AssertionError("the commit ended before the test could fault it", commit.join());
            }
            try (Connection c = pg.primary().connect(MirrorUnit.DB); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT pid FROM pg_stat_activity WHERE state = 'active'"
                         + " AND query ILIKE 'commit%' AND wait_event = 'PgSleep'")) {
                if (rs.next()) {
                    return rs.getInt(1);
                }
                Thread.sleep(50);
            } catch (SQLException | InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("no session of the primary entered its commit within " + within);
    }

    /** Waits for {@code expected}; UNKNOWN meanwhile is fine (the link was just restored), another answer is not. */
    private void awaitOutcome(String id, CommitOutcome expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        CommitOutcome last = null;
        while (System.nanoTime() < deadline) {
            last = unit.redundancy.outcome(id);
            if (last == expected) {
                return;
            }
            if (last != CommitOutcome.UNKNOWN) {
                fail("outcome of " + id + " is " + last + ", expected " + expected);
            }
            Thread.sleep(200);
        }
        fail("outcome of " + id + " still " + last + " after 30 s, expected " + expected);
    }
}
