package io.dbredundancy.hibernate.replication;

import io.dbredundancy.hibernate.DatabaseUrl;
import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.NodeConfig;
import io.dbredundancy.hibernate.RedundancySettings;
import io.dbredundancy.hibernate.RedundancyStatus;
import io.dbredundancy.hibernate.sync.Endpoint;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * {@code mirror.mode=native} between the two databases of a unit: PostgreSQL's own publication and subscription carry
 * every change, both ways, without echoes ({@code origin = none}); this class checks the prerequisites, sets the
 * objects up (idempotent: a second run refreshes the publications and subscriptions after a schema change), reports
 * each direction and tears it down. Connections of its own, with short time-outs; used by the runtime and by
 * {@code redundancy native}.
 */
public final class NativeReplication {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.replication");
    /** Two-way replication without echoes: {@code CREATE SUBSCRIPTION … WITH (origin = none)}. */
    static final int MIN_VERSION = 160000;

    private final Map<Node, NodeConfig> nodes = new EnumMap<>(Node.class);
    private final NativeNames names;
    private final int connectTimeoutS;

    public NativeReplication(NodeConfig primary, NodeConfig secondary, String unit, int connectTimeoutS) {
        nodes.put(Node.PRIMARY, primary);
        nodes.put(Node.SECONDARY, secondary);
        this.names = NativeNames.of(unit);
        this.connectTimeoutS = Math.max(1, connectTimeoutS);
    }

    public NativeNames names() {
        return names;
    }

    /** A connection to {@code node} for administration (auto-commit), with a 30 s socket time-out. */
    public Connection open(Node node) throws SQLException {
        return Endpoint.open(nodes.get(node), connectTimeoutS, 30, "db-redundancy-native");
    }

    // ---------------------------------------------------------------- prerequisites

    /**
     * Every missing prerequisite, one line each, naming it and what to do; empty when setup can run. A database that
     * does not answer is one line too.
     */
    public List<String> problems() {
        return problems(true);
    }

    /**
     * As {@link #problems()}; {@code units} false leaves out another unit's publication (what {@code redundancy check}
     * asks, knowing no unit).
     */
    public List<String> problems(boolean units) {
        List<String> problems = new ArrayList<>();
        Map<Node, Set<String>> tables = new EnumMap<>(Node.class);
        for (Node n : Node.values()) {
            try (Connection c = open(n)) {
                problems.addAll(serverProblems(n, c));
                if (units) {
                    problems.addAll(otherUnits(n, c));
                }
                tables.put(n, tables(c, problems, n));
            } catch (SQLException e) {
                problems.add(n.id() + ": cannot connect (" + reason(e)
                        + "): check " + nodes.get(n).urlProperty());
            }
            problems.addAll(replicationAddressProblems(n));
        }
        if (tables.size() == 2) {
            for (Node n : Node.values()) {
                Set<String> missing = new LinkedHashSet<>(tables.get(n));
                missing.removeAll(tables.get(n.other()));
                if (!missing.isEmpty()) {
                    problems.add(n.other().id() + ": lacks table(s) " + String.join(", ", missing) + " that the " + n.id()
                            + " has: apply the schema to both databases first (" + RedundancySettings.SCHEMA_CHANGELOG
                            + ", or redundancy migrate)");
                }
            }
        }
        return problems;
    }

    private List<String> serverProblems(Node n, Connection c) throws SQLException {
        List<String> problems = new ArrayList<>();
        String id = n.id();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT current_setting('server_version_num')::int, current_setting('wal_level'),"
                        + " current_setting('max_replication_slots')::int"
                        + " - (SELECT count(*) FROM pg_replication_slots WHERE slot_name <> '" + names.subscriptionOn(n.other()) + "'),"
                        + " current_setting('max_wal_senders')::int"
                        + " - (SELECT count(*) FROM pg_stat_replication WHERE application_name IS DISTINCT FROM '"
                        + names.subscriptionOn(n.other()) + "'),"
                        + " current_setting('max_logical_replication_workers')::int,"
                        + " r.rolsuper, r.rolreplication, has_database_privilege(current_database(), 'CREATE'),"
                        + " current_user, current_setting('server_version')"
                        + " FROM pg_roles r WHERE r.rolname = current_user")) {
            rs.next();
            int version = rs.getInt(1);
            boolean superuser = rs.getBoolean(6);
            boolean replication = rs.getBoolean(7);
            String user = rs.getString(9);
            if (version < MIN_VERSION) {
                problems.add(id + ": PostgreSQL " + rs.getString(10) + "; two-way replication without echoes"
                        + " (origin = none) needs PostgreSQL 16 or later: upgrade it, or use "
                        + RedundancySettings.MIRROR_MODE + "=async");
            }
            if (!"logical".equals(rs.getString(2))) {
                problems.add(id + ": wal_level is " + rs.getString(2) + ", logical replication needs logical:"
                        + " ALTER SYSTEM SET wal_level = logical, then restart the server (Neon: turn on logical"
                        + " replication in the project settings; it cannot be undone, and a subscriber keeps the"
                        + " compute from suspending)");
            }
            if (rs.getInt(3) < 1) {
                problems.add(id + ": no free replication slot (max_replication_slots): raise it by one and restart");
            }
            if (rs.getInt(4) < 1) {
                problems.add(id + ": no free WAL sender (max_wal_senders): raise it by one and restart");
            }
            if (rs.getInt(5) < 1) {
                problems.add(id + ": max_logical_replication_workers is 0: raise it (default 4) and restart");
            }
            if (!superuser && !replication) {
                problems.add(id + ": role " + user + " lacks REPLICATION: the other database's subscription connects"
                        + " with it; run ALTER ROLE " + user + " REPLICATION as a superuser");
            }
            if (!superuser && (version < MIN_VERSION || !rs.getBoolean(8) || !memberOf(c, "pg_create_subscription"))) {
                problems.add(id + ": role " + user + " may not create the subscription: GRANT pg_create_subscription TO "
                        + user + ", and CREATE on the database (or use a superuser)");
            }
        }
        return problems;
    }

    /** Another unit's publication on the same database would replicate the same tables twice. */
    private List<String> otherUnits(Node n, Connection c) throws SQLException {
        List<String> problems = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT pubname FROM pg_publication WHERE pubname LIKE"
                + " 'redundancy\\_%' AND pubname <> ?")) {
            ps.setString(1, names.publication());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    problems.add(n.id() + ": publication " + rs.getString(1) + " of another unit already replicates this"
                            + " database: name that unit (--unit " + rs.getString(1).substring("redundancy_".length())
                            + "), or run redundancy native teardown for it first");
                }
            }
        }
        return problems;
    }

    private static boolean memberOf(Connection c, String role) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT to_regrole(?) IS NOT NULL AND pg_has_role(current_user, ?, 'USAGE')")) {
            ps.setString(1, role);
            ps.setString(2, role);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** The published tables of {@code c}'s database. */
    private static Set<String> tables(Connection c, List<String> problems, Node n) throws SQLException {
        Set<String> tables = new LinkedHashSet<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(NativeSql.USER_TABLES)) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        }
        return tables;
    }

    /** A pooler address without a direct one, or a replication connection refused. */
    private List<String> replicationAddressProblems(Node n) {
        NodeConfig config = nodes.get(n);
        String property = RedundancySettings.PREFIX + n.id() + ".replication_url";
        DatabaseUrl direct = replicationAddress(config);
        if (direct == null) {
            return List.of(n.id() + ": " + config.urlProperty() + " goes through a pooler, and replication does not"
                    + " pass PgBouncer's transaction mode: set " + property + " to the server's direct address"
                    + " (Neon: the same host without -pooler)");
        }
        Properties p = new Properties();
        String user = direct.user() != null ? direct.user() : config.user();
        String password = direct.password() != null ? direct.password() : config.password();
        if (user != null) {
            p.setProperty("user", user);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        p.setProperty("replication", "database");
        p.setProperty("assumeMinServerVersion", "9.4");
        p.setProperty("preferQueryMode", "simple");
        p.setProperty("connectTimeout", Integer.toString(connectTimeoutS));
        p.setProperty("loginTimeout", Integer.toString(connectTimeoutS));
        p.setProperty("ApplicationName", "db-redundancy-native-check");
        try (Connection ignored = DriverManager.getConnection(direct.jdbcUrl(), p)) {
            return List.of();
        } catch (SQLException e) {
            String why = reason(e);
            return List.of(n.id() + ": no replication connection to " + direct.host() + ":" + direct.port() + " as "
                    + user + " (" + why + "): the subscription needs a direct, non-pooled address with a"
                    + " REPLICATION role; set " + property);
        }
    }

    /**
     * The address the other database's subscription connects to: {@code <node>.replication_url}, else the node's
     * URL, a Neon {@code -pooler} host without {@code -pooler}; null for another pooler (PgBouncer).
     */
    static DatabaseUrl replicationAddress(NodeConfig config) {
        if (config.replicationUrl() != null) {
            return config.replicationUrl();
        }
        DatabaseUrl url = config.url();
        if (url == null) {
            return null;
        }
        if (url.host().contains("-pooler.")) {
            String raw = url.jdbcUrl().replaceFirst("-pooler\\.", ".");
            return DatabaseUrl.parse(config.urlProperty(), raw);
        }
        return url.pooler() ? null : url;
    }

    /** The libpq connection string of {@code config}'s replication address (it holds the password: never log it). */
    static String conninfo(NodeConfig config, String applicationName) {
        DatabaseUrl direct = replicationAddress(config);
        StringBuilder b = new StringBuilder();
        kv(b, "host", direct.host());
        kv(b, "port", Integer.toString(direct.port()));
        kv(b, "dbname", direct.database());
        String user = direct.user() != null ? direct.user() : config.user();
        String password = direct.password() != null ? direct.password() : config.password();
        if (user != null) {
            kv(b, "user", user);
        }
        if (password != null) {
            kv(b, "password", password);
        }
        String sslmode = direct.parameters().get("sslmode");
        if (sslmode != null) {
            kv(b, "sslmode", sslmode);
        }
        kv(b, "application_name", applicationName);
        return b.toString().trim();
    }

    private static void kv(StringBuilder b, String key, String value) {
        b.append(key).append("='").append(value.replace("\\", "\\\\").replace("'", "\\'")).append("' ");
    }

    /** The masked message of {@code e} on one line (a server's DETAIL comes on a line of its own). */
    static String reason(Throwable e) {
        return DatabaseUrl.mask(String.valueOf(e.getMessage())).replaceAll("\\s*\\R\\s*", " ").trim();
    }

    private static String literal(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    private static String ident(String s) {
        return "\"" + s.replace("\"", "\"\"") + "\"";
    }

    // ---------------------------------------------------------------- setup

    /** What {@link #setup} did, one line per step worth telling. */
    public record Report(List<String> lines) {
    }

    /** The prerequisites are not met (one line each), or a database refused a step. */
    public static final class SetupException extends Exception {
        private final List<String> problems;

        public SetupException(List<String> problems) {
            super(String.join("; ", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    /**
     * Checks the prerequisites, then creates or refreshes, on both databases: the library's tables, this node's
     * identity, the marker, the fence on every published table, the publication; then the subscriptions. A direction
     * whose target tables are all empty copies the source's rows first ({@code copy_data}), and the other direction is
     * created once that copy is done (at most {@code copyWait}); otherwise nothing is copied, and {@code redundancy
     * verify} tells whether the two are identical.
     */
    public Report setup(Duration copyWait) throws SetupException {
        List<String> problems = problems();
        if (!problems.isEmpty()) {
            throw new SetupException(problems);
        }
        List<String> lines = new ArrayList<>();
        Map<Node, List<String>> published = new EnumMap<>(Node.class);
        try {
            for (Node n : Node.values()) {
                try (Connection c = open(n)) {
                    published.put(n, prepareNode(n, c, lines));
                }
            }
            List<Node> targets = new ArrayList<>(List.of(Node.SECONDARY, Node.PRIMARY));
            Map<Node, Boolean> copy = new EnumMap<>(Node.class);
            for (Node target : targets) {
                copy.put(target, copyInto(target, published.get(target)));
            }
            if (copy.get(Node.PRIMARY) && !copy.get(Node.SECONDARY)) {
                targets = List.of(Node.PRIMARY, Node.SECONDARY);
            }
            for (Node target : targets) {
                subscribe(target, copy.get(target), copyWait, lines);
            }
        } catch (SQLException e) {
            throw new SetupException(List.of("setup stopped: " + reason(e)));
        }
        return new Report(lines);
    }

    private List<String> prepareNode(Node n, Connection c, List<String> lines) throws SQLException {
        try {
            io.dbredundancy.hibernate.mirror.MirrorRuntime.ensureLibrarySchema(c, n);
        } catch (SQLException e) {
            throw e;
        } catch (Exception e) {
            throw new SQLException("the library changelog could not be applied to the " + n.id() + ": " + e.getMessage(), e);
        }
        c.setAutoCommit(false);
        List<String> tables = new ArrayList<>();
        try (Statement st = c.createStatement()) {
            st.execute(NativeSql.NODE_TABLE);
            try (PreparedStatement ps = c.prepareStatement(NativeSql.SET_NODE)) {
                ps.setString(1, n.id());
                ps.executeUpdate();
            }
            st.execute(NativeSql.MARKER_TABLE);
            st.execute(NativeSql.EPOCH_TABLE);
            st.execute(NativeSql.LATE_TABLE);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO redundancy_native_epoch (node, epoch, switch_xid,"
                    + " since) VALUES (?, 0, txid_current(), clock_timestamp()) ON CONFLICT (node) DO NOTHING")) {
                ps.setString(1, n.id());
                ps.executeUpdate();
            }
            String schema;
            try (ResultSet rs = st.executeQuery("SELECT current_schema()")) {
                rs.next();
                schema = rs.getString(1);
            }
            st.execute(NativeSql.LEASE_GEN_SEQUENCE);
            st.execute(NativeSql.inSchema(NativeSql.LEASE_GEN_FUNCTION, schema));
            for (String sql : NativeSql.LEASE_GEN_TRIGGERS) {
                st.execute(sql);
            }
            st.execute(NativeSql.inSchema(NativeSql.FENCE_FUNCTION, schema));
            st.execute(NativeSql.inSchema(NativeSql.ARRIVE_FUNCTION, schema));
            List<String> unidentified = new ArrayList<>();
            try (ResultSet rs = st.executeQuery(NativeSql.USER_TABLES)) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                    if (!rs.getBoolean(3)) {
                        unidentified.add(rs.getString(1));
                    }
                }
            }
            for (String t : tables) {
                st.execute(NativeSql.fenceTrigger(ident(t)));
                st.execute(NativeSql.arriveTrigger(ident(t)));
                st.execute(NativeSql.arriveTriggerReplica(ident(t)));
            }
            // a table without a primary key (a Set element collection, say): its updates and deletes are matched on
            // the whole row
            for (String t : unidentified) {
                st.execute("ALTER TABLE " + ident(t) + " REPLICA IDENTITY FULL");
                lines.add(n.id() + ": table " + t + " has no primary key: REPLICA IDENTITY FULL set, so replication can"
                        + " apply its updates and deletes");
            }
            try (ResultSet rs = st.executeQuery(NativeSql.LARGE_OBJECT_COLUMNS)) {
                while (rs.next()) {
                    String line = n.id() + ": column " + rs.getString(1) + "." + rs.getString(2) + " holds large-object"
                            + " oids, whose contents logical replication does not carry: map it as bytea"
                            + " (@JdbcTypeCode(SqlTypes.VARBINARY)) to have them replicated";
                    lines.add(line);
                }
            }
            List<String> all = new ArrayList<>(tables);
            all.add(NativeSql.MARKER);
            all.add(NativeSql.EPOCH);
            String list = String.join(", ", all.stream().map(NativeReplication::ident).toList());
            boolean exists;
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
                ps.setString(1, names.publication());
                try (ResultSet rs = ps.executeQuery()) {
                    exists = rs.next();
                }
            }
            if (exists) {
                st.execute("ALTER PUBLICATION " + ident(names.publication()) + " SET TABLE " + list);
            } else {
                st.execute("CREATE PUBLICATION " + ident(names.publication()) + " FOR TABLE " + list
                        + " WITH (publish_via_partition_root = true)");
                lines.add(n.id() + ": publication " + names.publication() + " of " + tables.size() + " table(s)");
            }
        }
        c.commit();
        c.setAutoCommit(true);
        return tables;
    }

    /** True when {@code target}'s tables new to its subscription are all empty and the source has rows in them. */
    private boolean copyInto(Node target, List<String> tables) throws SQLException {
        List<String> fresh = new ArrayList<>();
        try (Connection c = open(target)) {
            Set<String> subscribed = subscribedTables(c, names.subscriptionOn(target));
            for (String t : tables) {
                if (!subscribed.contains(t)) {
                    fresh.add(t);
                }
            }
            if (fresh.isEmpty() || anyRows(c, fresh)) {
                return false;
            }
        }
        try (Connection c = open(target.other())) {
            return anyRows(c, fresh);
        }
    }

    private static Set<String> subscribedTables(Connection c, String subscription) throws SQLException {
        Set<String> tables = new LinkedHashSet<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT c.relname FROM pg_subscription_rel r"
                + " JOIN pg_class c ON c.oid = r.srrelid JOIN pg_subscription s ON s.oid = r.srsubid WHERE s.subname = ?")) {
            ps.setString(1, subscription);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
        }
        return tables;
    }

    private static boolean anyRows(Connection c, List<String> tables) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (String t : tables) {
                try (ResultSet rs = st.executeQuery("SELECT EXISTS (SELECT 1 FROM " + ident(t) + ")")) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private void subscribe(Node target, boolean copy, Duration copyWait, List<String> lines) throws SQLException {
        String sub = names.subscriptionOn(target);
        try (Connection c = open(target); Statement st = c.createStatement()) {
            Boolean enabled = null;
            try (PreparedStatement ps = c.prepareStatement("SELECT subenabled FROM pg_subscription WHERE subname = ?")) {
                ps.setString(1, sub);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        enabled = rs.getBoolean(1);
                    }
                }
            }
            if (enabled == null) {
                st.execute("CREATE SUBSCRIPTION " + ident(sub) + " CONNECTION "
                        + literal(conninfo(nodes.get(target.other()), sub)) + " PUBLICATION " + ident(names.publication())
                        + " WITH (origin = none, copy_data = " + copy + ")");
                lines.add(target.id() + ": subscription " + sub + " to the " + target.other().id()
                        + (copy ? " (copying its rows first)" : ""));
            } else if (enabled) {
                st.execute("ALTER SUBSCRIPTION " + ident(sub) + " REFRESH PUBLICATION WITH (copy_data = " + copy + ")");
            } else {
                lines.add(target.id() + ": subscription " + sub + " is stopped (disabled): not refreshed;"
                        + " see redundancy native status");
                LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] " + lines.get(lines.size() - 1));
            }
            if (copy) {
                awaitCopied(c, sub, copyWait, lines, target);
            }
        }
    }

    private static void awaitCopied(Connection c, String sub, Duration wait, List<String> lines, Node target)
            throws SQLException {
        long deadline = System.nanoTime() + wait.toNanos();
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_subscription_rel r"
                + " JOIN pg_subscription s ON s.oid = r.srsubid WHERE s.subname = ? AND r.srsubstate <> 'r'")) {
            ps.setString(1, sub);
            while (true) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) == 0) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    lines.add(target.id() + ": the initial copy of " + sub + " goes on in the background");
                    return;
                }
                sleep(50);
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Records on {@code node} that it is the active one from {@code epoch} on (only forward): published, so the other
     * database's subscription knows the epoch of what it applies from here on.
     */
    public void writeEpoch(Connection c, Node node, long epoch, boolean announce) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (PreparedStatement del = c.prepareStatement(NativeSql.DELETE_EPOCH);
             PreparedStatement ins = c.prepareStatement(NativeSql.INSERT_EPOCH)) {
            del.setString(1, node.id());
            del.setLong(2, epoch);
            del.setBoolean(3, announce);
            if (del.executeUpdate() > 0 || announce) {
                try (Statement st = c.createStatement()) {
                    st.executeUpdate(NativeSql.FORGET_LATE);
                }
            }
            ins.setString(1, node.id());
            ins.setLong(2, epoch);
            ins.executeUpdate();
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    /** Enables a stopped subscription on {@code target} (after the row it stopped on was fixed). */
    public void resume(Node target) throws SQLException {
        try (Connection c = open(target); Statement st = c.createStatement()) {
            st.execute("ALTER SUBSCRIPTION " + ident(names.subscriptionOn(target)) + " ENABLE");
        }
    }

    // ---------------------------------------------------------------- teardown

    /**
     * Drops the subscriptions (and their slots; a slot on a database that does not answer is named, to drop later),
     * the publications, the fence, the marker and the identity. The library's tables and the data stay.
     */
    public List<String> teardown() {
        List<String> lines = new ArrayList<>();
        for (Node target : List.of(Node.SECONDARY, Node.PRIMARY)) {
            String sub = names.subscriptionOn(target);
            try (Connection c = open(target); Statement st = c.createStatement()) {
                if (!subscriptionExists(c, sub)) {
                    continue;
                }
                try {
                    st.execute("DROP SUBSCRIPTION " + ident(sub));
                    lines.add(target.id() + ": subscription " + sub + " dropped");
                } catch (SQLException e) {
                    st.execute("ALTER SUBSCRIPTION " + ident(sub) + " DISABLE");
                    st.execute("ALTER SUBSCRIPTION " + ident(sub) + " SET (slot_name = NONE)");
                    st.execute("DROP SUBSCRIPTION " + ident(sub));
                    lines.add(target.id() + ": subscription " + sub + " dropped; its slot " + sub + " stays on the "
                            + target.other().id() + " (" + reason(e)
                            + "): run teardown again once it answers");
                }
            } catch (SQLException e) {
                lines.add(target.id() + ": not reached (" + reason(e) + ")");
            }
        }
        for (Node n : Node.values()) {
            try (Connection c = open(n); Statement st = c.createStatement()) {
                try (PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(slot_name)"
                        + " FROM pg_replication_slots WHERE slot_name = ? AND NOT active")) {
                    ps.setString(1, names.subscriptionOn(n.other()));
                    ps.executeQuery().close();
                }
                st.execute("DROP PUBLICATION IF EXISTS " + ident(names.publication()));
                st.execute("DROP FUNCTION IF EXISTS redundancy_native_fence() CASCADE");
                st.execute("DROP FUNCTION IF EXISTS redundancy_native_arrive() CASCADE");
                st.execute("DROP FUNCTION IF EXISTS redundancy_native_lease_gen() CASCADE");
                st.execute("DROP SEQUENCE IF EXISTS redundancy_native_lease_gen");
                st.execute("DROP TABLE IF EXISTS redundancy_native_marker, redundancy_native_node, redundancy_native_epoch,"
                        + " redundancy_native_late");
                lines.add(n.id() + ": publication, fence and marker dropped");
            } catch (SQLException e) {
                lines.add(n.id() + ": not reached (" + reason(e) + ")");
            }
        }
        return lines;
    }

    private static boolean subscriptionExists(Connection c, String sub) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_subscription WHERE subname = ?")) {
            ps.setString(1, sub);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    // ---------------------------------------------------------------- status

    /** Both directions, read over the given connections (a null or failing one makes its figures unknown). */
    public List<RedundancyStatus.Replication> status(Map<Node, Connection> connections) {
        List<RedundancyStatus.Replication> out = new ArrayList<>();
        for (Node target : List.of(Node.SECONDARY, Node.PRIMARY)) {
            out.add(direction(target, connections.get(target), connections.get(target.other())));
        }
        return out;
    }

    /** Both directions, over connections of its own. */
    public List<RedundancyStatus.Replication> status() {
        Map<Node, Connection> cs = new EnumMap<>(Node.class);
        try {
            for (Node n : Node.values()) {
                try {
                    cs.put(n, open(n));
                } catch (SQLException e) {
                    // unknown figures for it
                }
            }
            return status(cs);
        } finally {
            for (Connection c : cs.values()) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // closing
                }
            }
        }
    }

    private RedundancyStatus.Replication direction(Node target, Connection subscriber, Connection publisher) {
        String sub = names.subscriptionOn(target);
        String state = "unknown";
        long errors = 0;
        String lastError = null;
        if (subscriber != null) {
            try (PreparedStatement ps = subscriber.prepareStatement(NativeSql.SUBSCRIBER_STATE)) {
                ps.setQueryTimeout(5);
                ps.setString(1, sub);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        state = "missing";
                        lastError = "not set up: run redundancy native setup";
                    } else {
                        errors = rs.getLong(2);
                        if (!rs.getBoolean(1)) {
                            state = "stopped";
                            lastError = "disabled (ALTER SUBSCRIPTION … DISABLE): run redundancy native resume";
                        } else if (rs.getLong(3) > 0) {
                            state = "syncing";
                        } else if (rs.getLong(4) == 0) {
                            // PostgreSQL restarts a failed apply worker every wal_retrieve_retry_interval (5 s): the
                            // publisher is down, or applying a change fails (a unique violation, say) and will again
                            state = "waiting";
                            lastError = errors > 0 ? errors + " apply error(s) so far: the publisher does not answer, or a"
                                    + " change cannot be applied (a conflict such as a unique violation; the " + target.id()
                                    + " server's log names the row, and the subscription resumes once it is fixed)" : null;
                        } else {
                            state = "streaming";
                        }
                    }
                }
            } catch (SQLException e) {
                lastError = reason(e);
            }
        }
        long lagBytes = -1;
        long lagMs = -1;
        if (publisher != null) {
            try (PreparedStatement ps = publisher.prepareStatement(NativeSql.PUBLISHER_LAG)) {
                ps.setQueryTimeout(5);
                ps.setString(1, sub);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        lagBytes = rs.getLong(1);
                        lagMs = rs.getLong(2);
                    }
                }
            } catch (SQLException e) {
                // unknown lag
            }
        }
        return new RedundancyStatus.Replication(target.other().id(), target.id(), sub, state, lagBytes, lagMs, errors,
                lastError);
    }
}
