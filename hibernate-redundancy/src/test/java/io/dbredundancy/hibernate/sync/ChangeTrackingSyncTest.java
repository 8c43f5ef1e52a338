package io.dbredundancy.hibernate.sync;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.SyncResult;
import io.dbredundancy.hibernate.VerifyResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The incremental sync of tables with change tracking, on two real servers: changes made with plain SQL (no
 * {@code updated_at} touched, keys changed, composite keys, a transaction committed after a run's snapshot) are all
 * carried; when the log cannot prove completeness the run compares in full and says why.
 */
class ChangeTrackingSyncTest {

    private static SyncTestSupport servers;
    private SyncService sync;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startServers() throws Exception {
        servers = SyncTestSupport.shared();
        servers.reset();
        for (Node n : Node.values()) {
            try (Connection c = servers.connect(n)) {
                Migrations.apply(c, Migrations.LIBRARY_CHANGELOG, ChangeTrackingSyncTest.class.getClassLoader());
            }
        }
        SyncSchema.create(servers, Node.PRIMARY, Node.SECONDARY);
        SyncSchema.fill(servers, Node.PRIMARY);
        servers.snapshot("tracked");
    }

    @BeforeEach
    void fresh() throws Exception {
        servers.restore("tracked");
        sync = servers.sync();
        sync.fullSync(Node.SECONDARY, opts());
        assertThat(sync.trackChanges(Node.PRIMARY, opts()))
                .containsExactly("public.customers", "public.events", "public.orders", "public.order_lines");
        SyncResult first = sync.incrementalSync(Node.SECONDARY, opts());
        assertThat(lines).filteredOn(l -> l.contains("comparing in full")).hasSize(4)
                .allMatch(l -> l.contains("no tracked run from the primary database yet"));
        assertThat(first.rows()).isZero();
        lines.clear();
    }

    private SyncOptions opts() {
        return SyncOptions.defaults().withProgress(new SyncProgress() {
            @Override
            public void begin(String phase, long totalRows) {
            }

            @Override
            public void advance(long rows) {
            }

            @Override
            public void message(String line) {
                lines.add(line);
            }

            @Override
            public void end(String summary) {
            }
        });
    }

    @Test
    void carriesChangesMadeOutsideHibernateFromTheChangeLogAlone() throws Exception {
        long seed = 16L;
        Random rnd = new Random(seed);
        List<String> sql = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            long id = 1 + rnd.nextInt(20_000);
            // updated_at left alone: only the change log can know
            sql.add("update customers set name = 'renamed " + rnd.nextInt() + "', balance = null where id = " + id);
        }
        for (int i = 0; i < 20; i++) {
            long order = 1 + rnd.nextInt(30_000);
            sql.add("delete from order_lines where order_id = " + order);
            sql.add("delete from orders where id = " + order);
        }
        sql.add("insert into customers (id, name) select g, 'new ' || g from generate_series(30001, 30100) g");
        sql.add("insert into order_lines select 1 + g, 9, 'NEW', 1, null from generate_series(100, 199) g"
                + " where exists (select 1 from orders where id = 1 + g)");
        sql.add("update events set id = id + 100000 where id % 1000 = 7");       // keys changed
        sql.add("update order_lines set line_no = line_no + 50 where order_id between 200 and 210"); // composite keys
        servers.execute(Node.PRIMARY, sql.toArray(String[]::new));

        SyncResult result = sync.incrementalSync(Node.SECONDARY, opts());

        assertThat(lines).as("seed %d", seed).noneMatch(l -> l.contains("comparing in full"));
        assertThat(lines).as("seed %d", seed).anyMatch(l -> l.contains("(change tracking)"));
        assertThat(result.deleted()).as("seed %d", seed).isPositive();
        VerifyResult v = sync.verify(SyncOptions.defaults());
        assertThat(v.differences()).as("seed %d", seed).isEmpty();
        assertThat(servers.queryLong(Node.PRIMARY, "select count(*) from redundancy_changes"))
                .as("the changes the run caught up are pruned").isZero();
        lines.clear();
        assertThat(sync.incrementalSync(Node.SECONDARY, opts()).rows()).isZero();
    }

    @Test
    void aTransactionCommittedAfterARunsSnapshotIsCarriedByTheNextRun() throws Exception {
        try (Connection late = servers.connect(Node.PRIMARY); Statement st = late.createStatement()) {
            late.setAutoCommit(false);
            st.execute("update customers set name = 'late writer' where id between 1 and 5");
            st.execute("delete from events where id = 42");
            servers.execute(Node.PRIMARY, "update customers set name = 'early writer' where id = 6");

            sync.incrementalSync(Node.SECONDARY, opts());     // its snapshot does not see the open transaction
            assertThat(servers.queryLong(Node.SECONDARY, "select count(*) from customers where name = 'early writer'"))
                    .isEqualTo(1);
            late.commit();
        }

        sync.incrementalSync(Node.SECONDARY, opts());

        assertThat(servers.queryLong(Node.SECONDARY, "select count(*) from customers where name = 'late writer'"))
                .isEqualTo(5);
        assertThat(servers.queryLong(Node.SECONDARY, "select count(*) from events where id = 42")).isZero();
        assertThat(sync.verify(SyncOptions.defaults()).differences()).isEmpty();
    }

    @Test
    void aFullSyncOfTrackedTablesStartsTheirTrackingFromItsSnapshot() throws Exception {
        servers.execute(Node.SECONDARY, "update customers set name = 'overwritten by the full copy' where id = 3");
        sync.fullSync(Node.SECONDARY, opts());
        servers.execute(Node.PRIMARY, "delete from order_lines where order_id = 77",
                "update customers set email = null where id between 10 and 20");
        lines.clear();

        SyncResult result = sync.incrementalSync(Node.SECONDARY, opts());

        assertThat(lines).noneMatch(l -> l.contains("comparing in full"));
        assertThat(result.rows()).as("ids 10 to 20 but 14, whose email was null").isEqualTo(10);
        assertThat(result.deleted()).as("the two lines of order 77").isEqualTo(2);
        assertThat(sync.verify(SyncOptions.defaults()).differences()).isEmpty();
    }

    @Test
    void comparesInFullAndSaysWhyWhenTheLogCannotProveCompleteness() throws Exception {
        // a TRUNCATE is not a list of keys
        servers.execute(Node.PRIMARY, "truncate events",
                "insert into events (kind) select 'after truncate' from generate_series(1, 10)");
        sync.incrementalSync(Node.SECONDARY, opts());
        assertThat(lines).anyMatch(l -> l.startsWith("public.events: change tracking cannot prove completeness (it was"
                + " truncated since the last run): comparing in full"));
        assertThat(sync.verify(SyncOptions.defaults()).differences()).isEmpty();

        // a watermark older than what the log still holds (the target restored from an old backup, say)
        String old = servers.queryString(Node.SECONDARY,
                "select watermark from redundancy_sync_state where task = 'tracked' and table_name = 'public.customers'");
        servers.execute(Node.PRIMARY, "update customers set name = 'pruned away' where id = 10");
        sync.incrementalSync(Node.SECONDARY, opts());
        servers.execute(Node.PRIMARY, "update customers set name = 'after the backup' where id = 11");
        servers.execute(Node.SECONDARY, "update redundancy_sync_state set watermark = '" + old + "'"
                + " where task = 'tracked' and table_name = 'public.customers'",
                "update customers set name = 'stale' where id = 10");
        lines.clear();
        sync.incrementalSync(Node.SECONDARY, opts());
        assertThat(lines).anyMatch(l -> l.startsWith("public.customers: change tracking cannot prove completeness"
                + " (the changes since the last run were pruned"));
        assertThat(sync.verify(SyncOptions.defaults()).differences()).isEmpty();

        // a disabled trigger
        servers.execute(Node.PRIMARY, "alter table orders disable trigger redundancy_track_update",
                "update orders set note = 'unseen' where id = 1");
        lines.clear();
        sync.incrementalSync(Node.SECONDARY, opts());
        assertThat(lines).anyMatch(l -> l.startsWith("public.orders: change tracking cannot prove completeness"
                + " (a tracking trigger is missing or disabled): comparing in full"));
        assertThat(sync.verify(SyncOptions.defaults()).differences()).isEmpty();
    }
}
