package io.dbredundancy.hibernate.sync;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.SyncException;
import io.dbredundancy.hibernate.SyncResult;
import io.dbredundancy.hibernate.VerifyResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Full and incremental sync, verify, repair and sequences on two real servers, 100,000 rows, both directions. */
class SyncServiceTest {

    private static SyncTestSupport servers;
    private SyncService sync;

    @BeforeAll
    static void startServers() throws Exception {
        servers = SyncTestSupport.shared();
        servers.reset();
        SyncSchema.create(servers, Node.PRIMARY, Node.SECONDARY);
        SyncSchema.fill(servers, Node.PRIMARY);
        servers.snapshot("filled");
    }


    @BeforeEach
    void freshSchema() throws Exception {
        servers.restore("filled");
        sync = servers.sync();
    }

    private static SyncOptions opts() {
        return SyncOptions.defaults();
    }

    @Test
    void fullSyncCopiesEveryRowAndSequenceToAnEmptySecondary() throws Exception {
        SyncResult result = sync.fullSync(Node.SECONDARY, opts());

        assertThat(result.rows()).isEqualTo(100_000);
        assertThat(result.tables()).containsExactly("public.customers", "public.events", "public.orders",
                "public.order_lines");
        assertThat(sync.verify(opts()).identical()).isTrue();
        assertThat(servers.queryString(Node.SECONDARY, "select profile::text from customers where id = 22"))
                .isEqualTo(servers.queryString(Node.PRIMARY, "select profile::text from customers where id = 22"));
        assertThat(servers.queryLong(Node.SECONDARY, "select count(*) from customers where photo is null and tags is null"))
                .isEqualTo(servers.queryLong(Node.PRIMARY, "select count(*) from customers where photo is null and tags is null"))
                .isPositive();
        assertThat(servers.queryLong(Node.SECONDARY, "select last_value from orders_seq")).isEqualTo(777);
        assertThat(servers.queryLong(Node.SECONDARY, "select nextval(pg_get_serial_sequence('orders', 'id'))"))
                .isEqualTo(30_001);
    }

    @Test
    void fullSyncCopiesBigTablesAsSeveralKeyRangesAtOnce() throws Exception {
        System.setProperty(SyncService.SPLIT_ROWS_PROPERTY, "5000");
        try {
            servers.execute(Node.SECONDARY, "insert into customers (id, name) values (999999, 'stale row')");

            SyncResult result = sync.fullSync(Node.SECONDARY, opts().withParallelism(3));

            assertThat(result.rows()).isEqualTo(100_000);
            assertThat(sync.verify(opts()).identical()).isTrue();
            assertThat(servers.queryLong(Node.SECONDARY, "select count(*) from redundancy_sync_state where task = 'full'"
                    + " and status = 'done'")).isEqualTo(5);
        } finally {
            System.clearProperty(SyncService.SPLIT_ROWS_PROPERTY);
        }
    }

    @Test
    void fullSyncToThePrimaryReplacesItsRowsWithTheSecondarys() throws Exception {
        sync.fullSync(Node.SECONDARY, opts());
        servers.execute(Node.SECONDARY, "delete from order_lines where order_id > 29000",
                "update customers set name = 'changed on secondary' where id % 100 = 0",
                "insert into events (kind) values ('only on secondary')");
        servers.execute(Node.PRIMARY, "insert into events (kind) values ('only on primary')");

        SyncResult result = sync.fullSync(Node.PRIMARY, opts());

        assertThat(result.target()).isEqualTo(Node.PRIMARY);
        assertThat(sync.verify(opts()).identical()).isTrue();
        assertThat(servers.queryLong(Node.PRIMARY, "select count(*) from customers where name = 'changed on secondary'"))
                .isEqualTo(200);
        assertThat(servers.queryLong(Node.PRIMARY, "select count(*) from events where kind = 'only on primary'")).isZero();
    }

    @Test
    void incrementalSyncCopiesChangedAndNewRowsInBothDirections() throws Exception {
        sync.fullSync(Node.SECONDARY, opts());
        servers.execute(Node.PRIMARY,
                "update customers set profile = '{\"changed\": 1}', updated_at = now() + interval '1 minute' where id <= 2500",
                "insert into customers (id, name, updated_at) values (20001, 'new one', now() + interval '1 minute')",
                "update orders set note = null, updated_at = now() + interval '1 minute' where id % 1000 = 0",
                "insert into order_lines values (5, 7, 'NEW', 1, null)");

        SyncResult toSecondary = sync.incrementalSync(Node.SECONDARY, opts().withBatchSize(1000));

        assertThat(toSecondary.rows()).isGreaterThanOrEqualTo(2501 + 30 + 1);
        VerifyResult v = sync.verify(opts());
        assertThat(v.differences()).isEmpty();

        servers.execute(Node.SECONDARY,
                "update customers set balance = null, updated_at = now() + interval '2 minutes' where id between 100 and 199",
                "delete from order_lines where order_id = 5 and line_no = 7");
        SyncResult toPrimary = sync.incrementalSync(Node.PRIMARY, opts());

        assertThat(toPrimary.target()).isEqualTo(Node.PRIMARY);
        assertThat(servers.queryLong(Node.PRIMARY, "select count(*) from customers where balance is null")).isEqualTo(101);
        assertThat(sync.verify(opts()).identical()).isTrue();
    }

    @Test
    void incrementalSyncDeletesTheRowsDeletedOnTheSource() throws Exception {
        sync.fullSync(Node.SECONDARY, opts());
        servers.execute(Node.PRIMARY,
                "delete from order_lines where order_id % 1000 = 3 or order_id between 20001 and 20100",
                "delete from orders where id % 1000 = 3 or id between 20001 and 20100",
                "update orders set note = 'kept', updated_at = now() + interval '1 minute' where id % 1000 = 4");
        long lines = servers.queryLong(Node.SECONDARY, "select count(*) from order_lines")
                - servers.queryLong(Node.PRIMARY, "select count(*) from order_lines");

        SyncResult result = sync.incrementalSync(Node.SECONDARY, opts());

        assertThat(result.deleted()).isEqualTo(129 + lines); // 20003 is both
        assertThat(result.rows()).isGreaterThanOrEqualTo(30);
        assertThat(servers.queryLong(Node.SECONDARY, "select count(*) from orders")).isEqualTo(30_000 - 129);
        assertThat(sync.verify(opts()).differences()).isEmpty();
        assertThat(sync.incrementalSync(Node.SECONDARY, opts()).deleted()).isZero();
    }

    @Test
    void incrementalSyncDeletesRowsOfACompositeKeyTable() throws Exception {
        for (Node n : Node.values()) {
            servers.execute(n, "create table pairs (a int, b text, v int, updated_at timestamptz not null default now(),"
                    + " primary key (a, b))");
        }
        servers.execute(Node.PRIMARY, "insert into pairs select g % 500, 'b' || (g / 500), g from generate_series(0, 29999) g");
        SyncOptions pairs = opts().withTables(List.of("pairs"));
        sync.fullSync(Node.SECONDARY, pairs);
        servers.execute(Node.PRIMARY, "delete from pairs where a = 7 or (a = 300 and b = 'b3') or v % 997 = 0");
        long gone = servers.queryLong(Node.SECONDARY, "select count(*) from pairs")
                - servers.queryLong(Node.PRIMARY, "select count(*) from pairs");

        SyncResult result = sync.incrementalSync(Node.SECONDARY, pairs);

        assertThat(result.deleted()).isEqualTo(gone).isGreaterThan(60);
        assertThat(sync.verify(pairs).identical()).isTrue();
    }

    @Test
    void verifyNamesTheKeysThatDifferWhenFewRowsDiffer() throws Exception {
        sync.fullSync(Node.SECONDARY, opts());
        servers.execute(Node.SECONDARY, "update customers set name = 'changed' where id = 12346",
                "delete from events where id = 5000",
                "insert into customers (id, name) values (40001, 'extra')",
                "update order_lines set qty = 99 where order_id = 77 and line_no = 0");

        VerifyResult verify = sync.verify(opts());

        assertThat(verify.differences()).extracting(VerifyResult.Difference::table)
                .containsOnly("public.customers", "public.events", "public.order_lines");
        assertThat(verify.differences()).flatExtracting(VerifyResult.Difference::keys).containsExactlyInAnyOrder(
                List.of("12346"), List.of("40001"), List.of("5000"), List.of("77", "0"));
        assertThat(verify.differences().stream().map(Object::toString))
                .anyMatch(s -> s.startsWith("public.order_lines keys") && s.endsWith("differing key (77, 0)"));
    }

    @Test
    void incrementalSyncResumesFromItsWatermarkAndCopiesNothingWhenNothingChanged() throws Exception {
        sync.fullSync(Node.SECONDARY, opts());

        SyncResult first = sync.incrementalSync(Node.SECONDARY, opts().withLookback(java.time.Duration.ZERO));

        assertThat(first.rows()).isLessThanOrEqualTo(2);
        servers.execute(Node.PRIMARY, "update customers set name = 'x' || id, updated_at = now() + interval '1 hour' where id <= 10");
        SyncResult second = sync.incrementalSync(Node.SECONDARY, opts().withLookback(java.time.Duration.ZERO));
        assertThat(second.rows()).isBetween(10L, 12L);
        assertThat(servers.queryLong(Node.SECONDARY, "select count(*) from customers where name like 'x%'")).isEqualTo(10);
    }

    @Test
    void verifyFindsOneChangedRowAndRepairFixesExactlyThatRow() throws Exception {
        sync.fullSync(Node.SECONDARY, opts());
        servers.execute(Node.SECONDARY, "update customers set profile = jsonb_set(profile, '{n}', '0') where id = 12346");
        String untouched = servers.queryString(Node.SECONDARY, "select xmin::text from customers where id = 12347");

        VerifyResult verify = sync.verify(opts());

        assertThat(verify.identical()).isFalse();
        assertThat(verify.differences()).hasSize(1);
        VerifyResult.Difference d = verify.differences().get(0);
        assertThat(d.table()).isEqualTo("public.customers");
        assertThat(d.fromExclusive() == null ? Long.MIN_VALUE : Long.parseLong(d.fromExclusive().get(0))).isLessThan(12346);
        assertThat(d.toInclusive() == null ? Long.MAX_VALUE : Long.parseLong(d.toInclusive().get(0)))
                .isGreaterThanOrEqualTo(12346);
        assertThat(d.primaryRows()).isEqualTo(d.secondaryRows());

        SyncResult repair = sync.repair(Node.SECONDARY, opts());

        assertThat(repair.rows()).isEqualTo(1);
        assertThat(repair.deleted()).isZero();
        assertThat(sync.verify(opts()).identical()).isTrue();
        assertThat(servers.queryString(Node.SECONDARY, "select xmin::text from customers where id = 12347")).isEqualTo(untouched);
    }

    @Test
    void repairDeletesExtraRowsAndRestoresMissingOnesInACompositeKeyTable() throws Exception {
        sync.fullSync(Node.SECONDARY, opts());
        servers.execute(Node.PRIMARY, "delete from order_lines where order_id = 77 and line_no = 0",
                "insert into order_lines values (77, 9, 'EXTRA', 2, '[1,2]')");

        VerifyResult verify = sync.verify(opts());
        assertThat(verify.differences()).extracting(VerifyResult.Difference::table).containsOnly("public.order_lines");

        SyncResult repair = sync.repair(Node.SECONDARY, opts());

        assertThat(repair.rows()).isEqualTo(1);
        assertThat(repair.deleted()).isEqualTo(1);
        assertThat(sync.verify(opts()).identical()).isTrue();
    }

    @Test
    void sequencesMovesEveryTargetSequencePastTheSource() throws Exception {
        sync.fullSync(Node.SECONDARY, opts());
        servers.execute(Node.PRIMARY, "select setval('orders_seq', 5000)", "select setval('events_id_seq', 90000)",
                "insert into orders (customer_id) select 1 from generate_series(1, 10)");

        List<String> moved = sync.alignSequences(Node.SECONDARY, opts());

        assertThat(moved).hasSize(3);
        assertThat(servers.queryLong(Node.SECONDARY, "select nextval('orders_seq')")).isEqualTo(5001);
        assertThat(servers.queryLong(Node.SECONDARY, "select nextval('events_id_seq')")).isEqualTo(90001);
        assertThat(servers.queryLong(Node.SECONDARY, "select nextval(pg_get_serial_sequence('orders', 'id'))")).isEqualTo(30011);
        assertThat(sync.alignSequences(Node.SECONDARY, opts())).isEmpty();
    }

    @Test
    void syncOfATableMissingOnTheTargetFailsWithOneLineNamingIt() throws Exception {
        servers.execute(Node.SECONDARY, "drop table events");

        assertThatThrownBy(() -> sync.fullSync(Node.SECONDARY, opts()))
                .isInstanceOf(SyncException.class)
                .hasMessage("Table public.events is missing in the secondary database; create the schema there first"
                        + " (redundancy migrate)");
    }
}
