package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.mirror.copy.Parent;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import org.hibernate.Session;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A transaction left open on the primary while another instance switches to the secondary cannot commit its
 * journaled write there: the capture statement's lease check refuses it (RD001), and the row never lands on the
 * demoted primary. Under READ COMMITTED the lease read sees the switch; under REPEATABLE READ the lease is read under
 * the transaction's first snapshot, so the check also locks the lease's epoch row, which fails to serialize once a
 * switch committed after that snapshot.
 */
@org.junit.jupiter.api.Tag("data-integrity")
class OpenTransactionAcrossSwitchTest {

    static final Class<?>[] MODEL = {Parent.class};

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    @Test
    void aWriteOpenAcrossAnotherInstancesSwitchIsRefusedUnderReadCommittedAndRepeatableRead() throws Exception {
        MirrorUnit.prepare(pg, MODEL);
        try (MirrorUnit a = new MirrorUnit(pg, "open-tx-a", Map.of(), MODEL);
             MirrorUnit b = new MirrorUnit(pg, "open-tx-b", Map.of(), MODEL)) {
            for (String isolation : new String[] {"READ COMMITTED", "REPEATABLE READ"}) {
                a.awaitActive("primary", 30);
                b.awaitActive("primary", 30);
                String name = "open across the switch, " + isolation;
                Session s = a.sf.openSession();
                try {
                    s.beginTransaction();
                    s.doWork(c -> {
                        try (java.sql.Statement st = c.createStatement()) {
                            st.execute("SET TRANSACTION ISOLATION LEVEL " + isolation);
                        }
                    });
                    Parent p = new Parent();
                    p.name = name;
                    s.persist(p);
                    s.flush(); // the transaction's snapshot is taken: before the switch
                    b.redundancy.failover(); // instance b moves the lease to the secondary
                    assertThat(b.active()).isEqualTo("secondary");
                    // the switch has committed on the primary (the lease b writes there names the secondary)
                    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> a.count(Node.PRIMARY,
                            "SELECT count(*) FROM redundancy_lease WHERE active_node = 'secondary'") == 1);
                    // refused by the lease check of the commit, or by this instance itself if it followed the switch first
                    assertThatThrownBy(() -> s.getTransaction().commit()).as(isolation)
                            .hasStackTraceContaining("write refused");
                } finally {
                    if (s.getTransaction().isActive()) {
                        s.getTransaction().rollback();
                    }
                    s.close();
                }
                assertThat(a.count(Node.PRIMARY, "SELECT count(*) FROM parent WHERE name = '" + name + "'"))
                        .as("rows the demoted primary accepted under " + isolation).isZero();
                a.awaitActive("secondary", 30);
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).ignoreExceptions()
                        .until(() -> b.redundancy.failback() != null || "primary".equals(b.active()));
            }
        }
    }

    /**
     * The same at the level of the database, without timing: a REPEATABLE READ transaction takes its snapshot, a
     * switch commits, and the transaction's journal opening is refused although its snapshot still shows the old lease.
     */
    @Test
    void theLeaseCheckRefusesARepeatableReadTransactionWhoseSnapshotPredatesASwitch() throws Exception {
        pg.primary().createDatabase("fence_rr");
        try (java.sql.Connection c = pg.primary().connect("fence_rr")) {
            io.dbredundancy.hibernate.sync.Migrations.apply(c, io.dbredundancy.hibernate.sync.Migrations.LIBRARY_CHANGELOG,
                    getClass().getClassLoader());
        }
        try (java.sql.Connection tx = pg.primary().connect("fence_rr"); java.sql.Connection other = pg.primary().connect("fence_rr");
             java.sql.Statement st = tx.createStatement(); java.sql.Statement sw = other.createStatement()) {
            sw.execute("INSERT INTO redundancy_lease (id, active_node, epoch) VALUES (1, 'primary', 2)");
            tx.setAutoCommit(false);
            st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
            st.executeQuery("SELECT count(*) FROM redundancy_journal").close(); // the snapshot
            sw.execute("UPDATE redundancy_lease SET epoch = 3, active_node = 'secondary' WHERE id = 1"); // the switch
            assertThatThrownBy(() -> st.executeQuery("SELECT redundancy_tx_open(gen_random_uuid(), 'primary', 2)"))
                    .hasMessageContaining("write refused: the primary database was demoted");
            tx.rollback();
            // the generic capture's opening (a table the capture statement does not know) is fenced alike
            sw.execute("UPDATE redundancy_lease SET epoch = 2, active_node = 'primary' WHERE id = 1");
            st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
            st.executeQuery("SELECT count(*) FROM redundancy_journal").close();
            sw.execute("UPDATE redundancy_lease SET epoch = 3, active_node = 'secondary' WHERE id = 1");
            assertThatThrownBy(() -> st.executeQuery("SELECT b.xid FROM redundancy_tx_begin(gen_random_uuid(), 'primary', 2) AS b(xid)"))
                    .hasMessageContaining("write refused: the primary database was demoted");
            tx.rollback();
            // a renewal (the same epoch and node) does not refuse anything
            st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
            st.executeQuery("SELECT count(*) FROM redundancy_journal").close();
            sw.execute("UPDATE redundancy_lease SET renewed_at = clock_timestamp() WHERE id = 1");
            st.executeQuery("SELECT redundancy_tx_open(gen_random_uuid(), 'secondary', 3)").close();
            tx.rollback();
        }
    }
}
