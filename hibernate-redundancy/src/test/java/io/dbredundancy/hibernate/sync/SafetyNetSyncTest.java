package io.dbredundancy.hibernate.sync;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.SyncException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The in-app safety net: periodic incremental sync, bulk-marked tables repaired, its last run in the status. */
class SafetyNetSyncTest {

    private static SyncTestSupport db;
    private ScheduledExecutorService scheduler;
    private SafetyNetSync net;

    @BeforeAll
    static void start() throws Exception {
        db = SyncTestSupport.shared();
    }

    @AfterEach
    void stop() {
        if (net != null) {
            net.close();
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }

    @Test
    void copiesChangesThatBypassedHibernateAndRepairsTablesMarkedByBulkStatements() throws Exception {
        db.reset();
        for (Node n : Node.values()) {
            try (Connection c = db.connect(n)) {
                Migrations.apply(c, Migrations.LIBRARY_CHANGELOG, getClass().getClassLoader());
            }
        }
        SyncSchema.create(db, Node.PRIMARY, Node.SECONDARY);
        db.execute(Node.PRIMARY, "insert into customers (id, name) select g, 'c' || g from generate_series(1, 500) g",
                "insert into events (kind) select 'e' || g from generate_series(1, 500) g");
        SyncService sync = db.sync();
        sync.fullSync(Node.SECONDARY, SyncOptions.defaults());
        scheduler = Executors.newSingleThreadScheduledExecutor();
        net = new SafetyNetSync(sync, () -> Node.PRIMARY, 200);
        assertThat(net.lastSync()).isNull();
        assertThat(net.syncStatus()).isEqualTo("idle");

        net.start(scheduler);
        db.execute(Node.PRIMARY, "update customers set name = 'renamed', updated_at = now() + interval '1 minute' where id <= 10",
                // a bulk statement that leaves updated_at alone, marked by the mirror's bulk detection
                "update customers set balance = 1 where id between 400 and 410",
                "insert into redundancy_dirty_table (table_name, origin, reason) values ('customers', 'primary', 'bulk update')");

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            assertThat(db.queryLong(Node.SECONDARY, "select count(*) from customers where name = 'renamed'")).isEqualTo(10);
            assertThat(db.queryLong(Node.SECONDARY, "select count(*) from customers where balance = 1")).isEqualTo(11);
            assertThat(db.queryLong(Node.PRIMARY, "select count(*) from redundancy_dirty_table")).isZero();
        });
        assertThat(net.lastSync()).isNotNull();
        assertThat(net.syncStatus()).isIn("idle", "running");
        assertThat(sync.verify(SyncOptions.defaults()).identical()).isTrue();
    }

    @Test
    void aFailedRunIsReportedAsFailedWithItsReason() throws Exception {
        db.reset();
        SyncSchema.create(db, Node.PRIMARY);   // nothing on the secondary
        db.execute(Node.PRIMARY, "insert into customers (id, name) values (1, 'x')");
        net = new SafetyNetSync(db.sync(), () -> Node.PRIMARY, 0);

        assertThat(net.enabled()).isFalse();
        try {
            net.runOnce();
        } catch (SyncException expected) {
            // recorded below
        }

        assertThat(net.syncStatus()).isEqualTo("failed");
        assertThat(net.lastError()).contains("missing in the secondary database");
        assertThat(net.lastSync()).isNotNull();
    }
}
