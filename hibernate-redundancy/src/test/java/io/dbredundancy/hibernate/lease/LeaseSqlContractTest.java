package io.dbredundancy.hibernate.lease;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.mirror.MirrorContract;
import io.dbredundancy.hibernate.sync.Migrations;
import io.dbredundancy.hibernate.testbed.PgServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The contract between the Java side of the lease and the PL/pgSQL of the library changelog: the changelog applied to
 * a real PostgreSQL, its functions called directly, over a table of cases. The rules ({@link LeaseRules}), the
 * advisory-lock key ({@link LeaseProtocol#LOCK_KEY}) and the mirror schema version each have one Java source; where
 * the SQL writes them again, this test says when the two disagree.
 */
class LeaseSqlContractTest {

    private static final String DB = "leasecontract";
    /** The epoch of the lease each case starts from. */
    private static final long LEASE_EPOCH = 3;

    private static PgServer pg;
    private Connection c;

    @BeforeAll
    static void startServer() throws Exception {
        pg = PgServer.start("lease-contract");
        pg.createDatabase(DB);
        try (Connection c = pg.connect(DB)) {
            Migrations.apply(c, Migrations.LIBRARY_CHANGELOG, LeaseSqlContractTest.class.getClassLoader());
        }
    }

    @AfterAll
    static void stopServer() {
        if (pg != null) {
            pg.close();
        }
    }

    @BeforeEach
    void connect() throws SQLException {
        c = pg.connect(DB);
        c.setAutoCommit(true);
    }

    @org.junit.jupiter.api.AfterEach
    void disconnect() throws SQLException {
        c.close();
    }

    /** The database's lease row: {@code (epoch, node)} written by "before", or none when {@code node} is null. */
    private void lease(long epoch, Node node) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("DELETE FROM redundancy_lease");
            if (node != null) {
                st.execute("INSERT INTO redundancy_lease (id, active_node, epoch, holder, updated_at, renewed_at)"
                        + " VALUES (1, '" + node.id() + "', " + epoch + ", 'before', now(), now())");
            }
        }
    }

    /** Every (lease node) x (other epoch: older, same, later) x (other node). */
    static Stream<Arguments> leaseAgainstOther() {
        List<Arguments> cases = new ArrayList<>();
        for (Node leaseNode : Node.values()) {
            for (long epoch = LEASE_EPOCH - 1; epoch <= LEASE_EPOCH + 1; epoch++) {
                for (Node other : Node.values()) {
                    cases.add(Arguments.of(leaseNode, epoch, other));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "lease {0} in epoch 3, proposal {2} in epoch {1}")
    @MethodSource("leaseAgainstOther")
    void theTouchFunctionReplacesALeaseExactlyWhenTheProposalOutranksIt(Node leaseNode, long epoch, Node proposed)
            throws SQLException {
        lease(LEASE_EPOCH, leaseNode);

        Lease after = LeaseProtocol.propose(c, epoch, proposed, "proposer", false);

        boolean replaced = "proposer".equals(after.holder());
        assertThat(replaced).as("replaced").isEqualTo(LeaseRules.outranks(epoch, proposed, LEASE_EPOCH, leaseNode));
        Lease expected = replaced ? new Lease(epoch, proposed, "proposer", false, 0)
                : new Lease(LEASE_EPOCH, leaseNode, "before", false, 0);
        assertThat(after).usingRecursiveComparison().ignoringFields("ageMs").isEqualTo(expected);
        assertThat(LeaseProtocol.read(c)).usingRecursiveComparison().ignoringFields("ageMs").isEqualTo(expected);
    }

    @Test
    void anyProposalIsWrittenWhereTheDatabaseHasNoLeaseYet() throws SQLException {
        lease(0, null);
        assertThat(LeaseProtocol.read(c)).isNull();

        Lease after = LeaseProtocol.propose(c, 1, Node.SECONDARY, "proposer", true);

        assertThat(after).usingRecursiveComparison().ignoringFields("ageMs")
                .isEqualTo(new Lease(1, Node.SECONDARY, "proposer", true, 0));
    }

    /** The two SQL functions that check the fence before a transaction journals a write. */
    enum FenceCheck {
        TX_OPEN("SELECT redundancy_tx_open(?::uuid, ?, ?)"),
        CAPTURE("SELECT redundancy_capture(?, ?, '[]'::jsonb)");

        final String sql;

        FenceCheck(String sql) {
            this.sql = sql;
        }

        void call(Connection c, long epoch, Node origin) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                if (this == TX_OPEN) {
                    ps.setString(1, UUID.randomUUID().toString());
                    ps.setString(2, origin.id());
                    ps.setLong(3, epoch);
                } else {
                    ps.setLong(1, epoch);
                    ps.setString(2, origin.id());
                }
                ps.executeQuery().close();
            }
        }
    }

    static Stream<Arguments> fenceCases() {
        return Stream.of(FenceCheck.values())
                .flatMap(f -> leaseAgainstOther().map(a -> Arguments.of(f, a.get()[0], a.get()[1], a.get()[2])));
    }

    @ParameterizedTest(name = "{0}: lease {1} in epoch 3, a session on the {3} in epoch {2}")
    @MethodSource("fenceCases")
    void theFencingCheckRefusesAWriteExactlyWhenTheJavaRuleFencesIt(FenceCheck check, Node leaseNode, long epoch,
                                                                   Node origin) throws SQLException {
        lease(LEASE_EPOCH, leaseNode);

        String refusal = inTransaction(() -> check.call(c, epoch, origin));

        assertThat(refusal != null).as("refused (" + refusal + ")")
                .isEqualTo(LeaseRules.fences(LEASE_EPOCH, leaseNode, epoch, origin));
        if (refusal != null) {
            assertThat(refusal).isEqualTo("RD001");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fenceChecks")
    void aDatabaseWithoutALeaseRefusesNoWrite(FenceCheck check) throws SQLException {
        lease(0, null);
        assertThat(inTransaction(() -> check.call(c, 0, Node.SECONDARY))).isNull();
    }

    static Stream<FenceCheck> fenceChecks() {
        return Stream.of(FenceCheck.values());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fenceChecks")
    void theFencingCheckTakesTheLeaseLockSharedUnderTheJavaKey(FenceCheck check) throws SQLException {
        lease(LEASE_EPOCH, Node.PRIMARY);
        List<String> held = new ArrayList<>();

        inTransaction(() -> {
            check.call(c, LEASE_EPOCH, Node.PRIMARY);
            held.addAll(advisoryLocksHeld());
        });

        assertThat(held).containsExactly(LeaseProtocol.LOCK_KEY + " ShareLock");
    }

    @Test
    void aLeaseChangeTakesTheLeaseLockExclusivelyUnderTheJavaKey() throws SQLException {
        lease(LEASE_EPOCH, Node.PRIMARY);
        List<String> held = new ArrayList<>();

        inTransaction(() -> {
            LeaseProtocol.propose(c, LEASE_EPOCH + 1, Node.SECONDARY, "proposer", false);
            held.addAll(advisoryLocksHeld());
        });

        assertThat(held).containsExactly(LeaseProtocol.LOCK_KEY + " ExclusiveLock");
    }

    @Test
    void theMirrorSchemaVersionFunctionIsTheJavaConstant() throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT redundancy_mirror_schema_version()")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(MirrorContract.SCHEMA_VERSION);
        }
    }

    /** This session's advisory locks as {@code "<bigint key> <mode>"} (a bigint key is split into classid and objid). */
    private List<String> advisoryLocksHeld() throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT (classid::bigint << 32) | objid::bigint, mode FROM pg_locks"
                     + " WHERE locktype = 'advisory' AND objsubid = 1 AND pid = pg_backend_pid() ORDER BY 1, 2")) {
            while (rs.next()) {
                out.add(rs.getLong(1) + " " + rs.getString(2));
            }
        }
        return out;
    }

    private interface Work {
        void run() throws SQLException;
    }

    /** Runs {@code work} in a transaction that is rolled back; returns the SQLState it failed with, or null. */
    private String inTransaction(Work work) throws SQLException {
        c.setAutoCommit(false);
        try {
            work.run();
            return null;
        } catch (SQLException e) {
            return e.getSQLState();
        } finally {
            c.rollback();
            c.setAutoCommit(true);
        }
    }
}
