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
                    assertThatThrownBy(() -> s.getTransaction().commit()).as(isolation)
                            .hasStackTraceContaining("write refused: the primary database was demoted");
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
}
