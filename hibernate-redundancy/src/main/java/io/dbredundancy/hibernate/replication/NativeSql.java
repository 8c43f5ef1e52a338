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
     * A generation of the lease, moved on by every change of its epoch or node (a trigger on {@code redundancy_lease}),
     * so that the fence re-reads the lease only when it changed. Such a change takes the lease's advisory lock
     * exclusively ({@code redundancy_lease_touch}) and moves the generation before it commits.
     */
    static final String LEASE_GEN_SEQUENCE = "CREATE SEQUENCE IF NOT EXISTS redundancy_native_lease_gen";

    static final String LEASE_GEN_FUNCTION = "CREATE OR REPLACE FUNCTION redundancy_native_lease_gen() RETURNS trigger"
            + " LANGUAGE plpgsql AS $$ BEGIN PERFORM nextval('@schema@.redundancy_native_lease_gen'); RETURN NULL; END $$";

    static final String[] LEASE_GEN_TRIGGERS = {
        "CREATE OR REPLACE TRIGGER redundancy_native_lease_gen_insert AFTER INSERT ON redundancy_lease"
                + " FOR EACH ROW EXECUTE FUNCTION redundancy_native_lease_gen()",
        "CREATE OR REPLACE TRIGGER redundancy_native_lease_gen_update AFTER UPDATE ON redundancy_lease FOR EACH ROW"
                + " WHEN (OLD.epoch IS DISTINCT FROM NEW.epoch OR OLD.active_node IS DISTINCT FROM NEW.active_node)"
                + " EXECUTE FUNCTION redundancy_native_lease_gen()",
        "ALTER TABLE redundancy_lease ENABLE ALWAYS TRIGGER redundancy_native_lease_gen_insert",
        "ALTER TABLE redundancy_lease ENABLE ALWAYS TRIGGER redundancy_native_lease_gen_update",
    };

    /**
     * The fence: the first write statement of a transaction on a published table takes the lease's shared advisory
     * lock (so a lease change waits for the transactions that passed under the old lease) and checks that the lease
     * names this database; a database whose lease names the other node refuses the write (SQLState RD001). The check
     * is kept for the session with the lease's generation: while that has not moved, a transaction pays a try-lock and
     * two setting reads, all simple expressions (no query); later statements of the transaction pass on a
     * transaction-local setting. Subscriptions apply as replicas, which fire no ordinary trigger, so the other
     * database's changes pass. Under REPEATABLE READ and SERIALIZABLE the lease is read every time, and locking the
     * epoch row fails to serialize when a switch committed after the transaction's snapshot: such a write is refused
     * like any other on a demoted database.
     */
    static final String FENCE_FUNCTION = "CREATE OR REPLACE FUNCTION redundancy_native_fence() RETURNS trigger"
            + " LANGUAGE plpgsql AS $$\n"
            + "DECLARE self text; lease_node text; lease_epoch bigint; gen text; v text;\n"
            + "BEGIN\n"
            + "  IF current_setting('redundancy.native_fence', true) = 'passed' THEN RETURN NULL; END IF;\n"
            + "  IF NOT pg_try_advisory_xact_lock_shared(" + LeaseProtocol.LOCK_KEY + ") THEN\n"
            + "    PERFORM pg_advisory_xact_lock_shared(" + LeaseProtocol.LOCK_KEY + ");\n"
            + "  END IF;\n"
            + "  gen := coalesce(pg_sequence_last_value('@schema@.redundancy_native_lease_gen'::regclass), 0)::text;\n"
            + "  IF current_setting('redundancy.native_gen', true) = gen"
            + " AND current_setting('transaction_isolation') = 'read committed' THEN\n"
            + "    v := set_config('redundancy.native_fence', 'passed', true);\n"
            + "    RETURN NULL;\n"
            + "  END IF;\n"
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
            + "  v := set_config('redundancy.native_gen', gen, false);\n"
            + "  v := set_config('redundancy.native_fence', 'passed', true);\n"
            + "  RETURN NULL;\n"
            + "END $$";

    static final String FENCE_TRIGGER = "redundancy_native_fence";

    /**
     * {@code function} with the library's tables and functions qualified by {@code schema}: a subscription's worker runs
     * with an empty {@code search_path} (PostgreSQL 16+), and an application's sessions may have another one.
     */
    static String inSchema(String function, String schema) {
        String quoted = "\"" + schema.replace("\"", "\"\"") + "\"";
        return function.replace(" redundancy_", " " + quoted + ".redundancy_")
                .replace("@schema@", quoted.replace("'", "''"));
    }

    /**
     * Each node's epoch, written by that node when it becomes the active one (before any session writes there) and
     * published: on the other database it arrives before that node's writes of the epoch, so the subscription's
     * worker knows the epoch of what it applies. {@code switch_xid}: the writing transaction, after which a row
     * version on this node is a change of this epoch.
     */
    static final String EPOCH_TABLE = "CREATE TABLE IF NOT EXISTS redundancy_native_epoch ("
            + " node text PRIMARY KEY, epoch bigint NOT NULL, switch_xid bigint NOT NULL, since timestamptz NOT NULL)";

    static final String EPOCH = "redundancy_native_epoch";

    /**
     * This node's epoch row: deleted and inserted again (in one transaction), so that the other database receives it
     * even when it never got the row before (an update of a row the subscriber lacks is skipped there). Parameters:
     * node, epoch, and whether to write it again at the same epoch (after setup: announce it).
     */
    static final String DELETE_EPOCH = "DELETE FROM redundancy_native_epoch WHERE node = ? AND (epoch < ? OR ?)";

    static final String INSERT_EPOCH = "INSERT INTO redundancy_native_epoch (node, epoch, switch_xid, since)"
            + " VALUES (?, ?, txid_current(), clock_timestamp()) ON CONFLICT (node) DO NOTHING";

    /** The late changes remembered in the previous epoch are forgotten with it. */
    static final String FORGET_LATE = "DELETE FROM redundancy_native_late";

    /** The rows a late change (of an older epoch) has written here in this epoch: not local changes. Not published. */
    static final String LATE_TABLE = "CREATE TABLE IF NOT EXISTS redundancy_native_late ("
            + " tbl text NOT NULL, k jsonb NOT NULL, xid bigint NOT NULL, PRIMARY KEY (tbl, k))";

    /**
     * The per-row rule of the journal modes, on the subscription's side: a change that arrives from an older epoch
     * than this node's (the old primary's commits that had not been sent when it failed, arriving once it is back)
     * loses against a change this node made to that row in its own epoch: it is not applied, and its image is kept in
     * {@code redundancy_conflict}. Otherwise it is applied (and remembered, so that a second late change of the row is
     * not taken for a local one). Fires only in the subscription's worker ({@code ENABLE REPLICA}); changes of the same
     * or a later epoch pass after one lookup of the two epochs.
     */
    static final String ARRIVE_FUNCTION = "CREATE OR REPLACE FUNCTION redundancy_native_arrive() RETURNS trigger"
            + " LANGUAGE plpgsql AS $$\n"
            + "DECLARE self text; e_local bigint; sw bigint; e_in bigint; other text; keycols text[]; img jsonb; rk jsonb;\n"
            + "  cond text; cur xid; late bigint; tname text := TG_TABLE_NAME; rel text := TG_RELID::regclass::text;\n"
            + "BEGIN\n"
            + "  SELECT n.node, mine.epoch, mine.switch_xid, theirs.epoch, theirs.node"
            + " INTO self, e_local, sw, e_in, other FROM redundancy_native_node n"
            + " LEFT JOIN redundancy_native_epoch mine ON mine.node = n.node"
            + " LEFT JOIN redundancy_native_epoch theirs ON theirs.node <> n.node"
            + " AND theirs.node IN ('primary', 'secondary') WHERE n.id = 1;\n"
            + "  IF TG_OP = 'INSERT' OR e_local IS NULL OR e_in IS NULL OR e_in >= e_local THEN\n"
            + "    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;\n"
            + "  END IF;\n"
            + "  SELECT array_agg(a.attname::text ORDER BY a.attnum) INTO keycols FROM pg_index i JOIN pg_attribute a"
            + " ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indrelid = TG_RELID AND i.indisprimary;\n"
            + "  IF keycols IS NULL THEN\n"
            + "    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;\n"
            + "  END IF;\n"
            + "  img := to_jsonb(OLD);\n"
            + "  SELECT jsonb_object_agg(c, img -> c) INTO rk FROM unnest(keycols) c;\n"
            + "  SELECT string_agg(format('t.%I = (jsonb_populate_record(null::%s, $1)).%I', c, rel, c), ' AND ')"
            + " INTO cond FROM unnest(keycols) c;\n"
            + "  EXECUTE format('SELECT t.xmin FROM %s t WHERE %s', rel, cond) INTO cur USING rk;\n"
            + "  SELECT l.xid INTO late FROM redundancy_native_late l WHERE l.tbl = tname AND l.k = rk;\n"
            + "  IF cur IS NOT NULL AND age(cur) < age(((sw % 4294967296)::text)::xid)"
            + " AND (late IS NULL OR ((late % 4294967296)::text)::xid <> cur) THEN\n"
            + "    INSERT INTO redundancy_conflict (table_name, row_key, winner_origin, winner_epoch, loser_origin,"
            + " loser_epoch, loser_op, loser_image, loser_created_at)\n"
            + "      VALUES (tname, rk, self, e_local, other, e_in, left(TG_OP, 1),"
            + " CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) END, clock_timestamp());\n"
            + "    RETURN NULL;\n"
            + "  END IF;\n"
            + "  INSERT INTO redundancy_native_late (tbl, k, xid) VALUES (tname, rk, txid_current())"
            + " ON CONFLICT (tbl, k) DO UPDATE SET xid = EXCLUDED.xid;\n"
            + "  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;\n"
            + "END $$";

    static final String ARRIVE_TRIGGER = "redundancy_native_arrive";

    static String arriveTrigger(String qualifiedTable) {
        return "CREATE OR REPLACE TRIGGER " + ARRIVE_TRIGGER + " BEFORE UPDATE OR DELETE ON " + qualifiedTable
                + " FOR EACH ROW EXECUTE FUNCTION redundancy_native_arrive()";
    }

    static String arriveTriggerReplica(String qualifiedTable) {
        return "ALTER TABLE " + qualifiedTable + " ENABLE REPLICA TRIGGER " + ARRIVE_TRIGGER;
    }

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
