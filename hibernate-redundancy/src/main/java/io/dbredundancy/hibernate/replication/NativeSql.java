package io.dbredundancy.hibernate.replication;

import io.dbredundancy.hibernate.lease.LeaseProtocol;

/**
 * The SQL objects of {@code mirror.mode=native}, created by {@link NativeReplication#setup} on both databases (after the
 * library changelog, which brings the lease). All idempotent.
 */
final class NativeSql {

    private NativeSql() {
    }

    /** Which node this database is: the fence compares the lease with it. */
    static final String NODE_TABLE = "CREATE TABLE IF NOT EXISTS redundancy_native_node ("
            + " id int PRIMARY KEY CHECK (id = 1), node text NOT NULL CHECK (node IN ('primary', 'secondary')))";

    static final String SET_NODE = "INSERT INTO redundancy_native_node (id, node) VALUES (1, ?)"
            + " ON CONFLICT (id) DO UPDATE SET node = EXCLUDED.node";

    /**
     * One row per node, written only by that node and published with the user tables: a token written on one side and
     * read on the other proves that everything the first committed before it has been applied (commit order).
     */
    static final String MARKER_TABLE = "CREATE TABLE IF NOT EXISTS redundancy_native_marker ("
            + " node text PRIMARY KEY, token bigint NOT NULL, written_at timestamptz NOT NULL)";

    static final String MARKER = "redundancy_native_marker";

    static final String WRITE_MARKER = "INSERT INTO redundancy_native_marker (node, token, written_at)"
            + " VALUES (?, ?, clock_timestamp()) ON CONFLICT (node) DO UPDATE SET token = EXCLUDED.token,"
            + " written_at = EXCLUDED.written_at";

    static final String READ_MARKER = "SELECT token FROM redundancy_native_marker WHERE node = ?";

    /**
     * The fence: the first write statement of a transaction on a published table takes the lease's shared advisory lock
     * and reads the lease; a database whose lease names the other node refuses the write (SQLState RD001). Later
     * statements of the transaction pass on a transaction-local setting: the cost is one function call per statement.
     * Subscriptions apply as replicas, which fire no ordinary trigger, so the other database's changes pass. Under
     * REPEATABLE READ and SERIALIZABLE, locking the epoch row fails to serialize when a switch committed after the
     * transaction's snapshot: such a write is refused like any other on a demoted database.
     */
    static final String FENCE_FUNCTION = "CREATE OR REPLACE FUNCTION redundancy_native_fence() RETURNS trigger"
            + " LANGUAGE plpgsql AS $$\n"
            + "DECLARE self text; lease_node text; lease_epoch bigint;\n"
            + "BEGIN\n"
            + "  IF current_setting('redundancy.native_fence', true) = 'passed' THEN RETURN NULL; END IF;\n"
            + "  PERFORM pg_advisory_xact_lock_shared(" + LeaseProtocol.LOCK_KEY + ");\n"
            + "  SELECT n.node INTO self FROM redundancy_native_node n WHERE n.id = 1;\n"
            + "  SELECT l.epoch, l.active_node INTO lease_epoch, lease_node FROM redundancy_lease l WHERE l.id = 1;\n"
            + "  IF FOUND AND self IS NOT NULL THEN\n"
            + "    IF current_setting('transaction_isolation') <> 'read committed' THEN\n"
            + "      BEGIN\n"
            + "        PERFORM 1 FROM redundancy_lease_epoch e WHERE e.id = 1 FOR SHARE;\n"
            + "      EXCEPTION WHEN serialization_failure THEN\n"
            + "        lease_node := '(a switch since this transaction began)';\n"
            + "      END;\n"
            + "    END IF;\n"
            + "    IF lease_node <> self THEN\n"
            + "      RAISE EXCEPTION USING ERRCODE = 'RD001',\n"
            + "        MESSAGE = format('[DB-Redundancy] write refused: the %s database was demoted; its lease names the %s"
            + " database in epoch %s', self, lease_node, lease_epoch),\n"
            + "        HINT = 'Another application instance switched databases; this instance follows within a health"
            + " interval. Retry in a new transaction.';\n"
            + "    END IF;\n"
            + "  END IF;\n"
            + "  PERFORM set_config('redundancy.native_fence', 'passed', true);\n"
            + "  RETURN NULL;\n"
            + "END $$";

    static final String FENCE_TRIGGER = "redundancy_native_fence";

    static String fenceTrigger(String qualifiedTable) {
        return "CREATE OR REPLACE TRIGGER " + FENCE_TRIGGER + " BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "
                + qualifiedTable + " FOR EACH STATEMENT EXECUTE FUNCTION redundancy_native_fence()";
    }

    /**
     * The tables a unit publishes: the ordinary and partitioned tables of the current schema (partitions through their
     * root), without the library's own ({@code redundancy_*}) and Liquibase's; with the marker.
     */
    static final String USER_TABLES = "SELECT c.relname, c.relkind = 'p' AS partitioned,"
            + " EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) OR c.relreplident = 'f'"
            + " AS identified"
            + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
            + " AND c.relpersistence = 'p'"
            + " AND c.relname NOT LIKE 'redundancy\\_%' AND c.relname NOT LIKE 'databasechangelog%'"
            + " ORDER BY c.relname";

    /** Columns of type {@code oid} in the current schema's user tables (large objects are not replicated). */
    static final String LARGE_OBJECT_COLUMNS = "SELECT c.relname, a.attname FROM pg_attribute a"
            + " JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped"
            + " AND a.atttypid = 'oid'::regtype AND c.relname NOT LIKE 'redundancy\\_%' ORDER BY 1, 2";

    /** Per-direction figures on the subscriber: enabled, errors, tables still in their initial copy. */
    static final String SUBSCRIBER_STATE = "SELECT s.subenabled,"
            + " coalesce((SELECT ss.apply_error_count + ss.sync_error_count FROM pg_stat_subscription_stats ss"
            + " WHERE ss.subid = s.oid), 0),"
            + " (SELECT count(*) FROM pg_subscription_rel r WHERE r.srsubid = s.oid AND r.srsubstate <> 'r'),"
            + " (SELECT count(*) FROM pg_stat_subscription st WHERE st.subid = s.oid AND st.relid IS NULL AND st.pid IS NOT NULL)"
            + " FROM pg_subscription s WHERE s.subname = ? AND s.subdbid = (SELECT oid FROM pg_database"
            + " WHERE datname = current_database())";

    /** Per-direction figures on the publisher: WAL not confirmed by the slot, and the replay lag in ms. */
    static final String PUBLISHER_LAG = "SELECT coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), sl.confirmed_flush_lsn),"
            + " -1)::bigint,"
            + " coalesce((SELECT (extract(epoch FROM r.replay_lag) * 1000)::bigint FROM pg_stat_replication r"
            + " WHERE r.application_name = sl.slot_name LIMIT 1), 0)"
            + " FROM pg_replication_slots sl WHERE sl.slot_name = ?";
}
