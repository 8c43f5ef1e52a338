package io.dbredundancy.hibernate.cli;

import io.dbredundancy.hibernate.DatabaseUrl;
import io.dbredundancy.hibernate.NodeConfig;
import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.sync.Endpoint;
import picocli.CommandLine.Command;

import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Diagnoses each database: DNS, TCP, TLS, authentication, server version, round-trip latency,"
                + " pooler, the privileges sync and the journal need, the library's tables.",
                "Every failure comes with its likely fix. Exit code 0 when all pass (warnings allowed), 3 when a"
                        + " database cannot be reached or refuses the login, 1 when another check fails."})
final class CheckCommand extends DbCommand {

    static final List<String> LIBRARY_TABLES = List.of("redundancy_sync_state", "redundancy_lease", "databasechangelog");

    private int worst = ExitCodes.OK;

    @Override
    public Integer call() {
        RedundancyConfig c = config();
        check(c.primary());
        c.secondary().ifPresentOrElse(this::check,
                () -> root.out.println("secondary: not configured (no --secondary, DATABASE_URL_SECONDARY): the"
                        + " application runs without redundancy"));
        c.secondary().ifPresent(secondary -> checkNative(c));
        root.out.println(worst == ExitCodes.OK ? "All checks passed." : "Some checks failed (see the fixes above).");
        return worst;
    }

    /**
     * The prerequisites of {@code mirror.mode=native}: failures when that is the configured mode, warnings otherwise
     * (they tell what switching to it would need).
     */
    private void checkNative(RedundancyConfig c) {
        boolean configured = c.mirrorMode() == RedundancyConfig.MirrorMode.NATIVE;
        root.out.println("native replication (mirror.mode=native" + (configured ? ", configured" : ", not configured") + "):");
        List<String> problems = new io.dbredundancy.hibernate.replication.NativeReplication(c.primary(),
                c.secondary().orElseThrow(), "check", 5).problems(false);
        if (problems.isEmpty()) {
            ok("native", "wal_level, slots, senders, roles, direct addresses and tables are ready");
        }
        for (String p : problems) {
            if (configured) {
                fail("native", p, ExitCodes.DIFFERENCES);
            } else {
                warn("native", p);
            }
        }
    }

    private void ok(String what, String detail) {
        line("ok  ", what, detail);
    }

    private void warn(String what, String detail) {
        line("WARN", what, detail);
    }

    private void fail(String what, String detail, int code) {
        line("FAIL", what, detail);
        if (worst == ExitCodes.OK || code == ExitCodes.CONNECTION) {
            worst = code;
        }
    }

    private void line(String mark, String what, String detail) {
        PrintStream out = root.out;
        out.println(String.format(Locale.ROOT, "  [%s] %-10s %s", mark, what, DatabaseUrl.mask(detail)));
    }

    private void check(NodeConfig node) {
        root.out.println(node.node().id() + ": " + node.displayUrl());
        if (node.isJndi()) {
            warn("jndi", "a container DataSource (" + node.jndiName() + "): check it from the application");
            return;
        }
        DatabaseUrl url = node.url();
        sslmode(url);
        // DNS
        InetAddress[] addresses;
        long t = System.nanoTime();
        try {
            addresses = InetAddress.getAllByName(url.host());
            ok("dns", url.host() + " -> " + addresses[0].getHostAddress() + " (" + ms(t) + ")");
        } catch (Exception e) {
            Diagnosis d = Diagnosis.network(new java.net.UnknownHostException(url.host()));
            fail("dns", d.problem() + " -> " + d.fix(), ExitCodes.CONNECTION);
            return;
        }
        // TCP
        t = System.nanoTime();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(addresses[0], url.port()), Probe.TIMEOUT_S * 1000);
            ok("tcp", "port " + url.port() + " open (" + ms(t) + ")");
        } catch (Exception e) {
            Diagnosis d = Diagnosis.network(e);
            fail("tcp", url.host() + ":" + url.port() + ": " + (d == null ? Diagnosis.message(e) : d.problem() + " -> "
                    + d.fix()), ExitCodes.CONNECTION);
            return;
        }
        // authentication (and the rest on that connection)
        t = System.nanoTime();
        try (Connection c = Endpoint.open(node, Probe.TIMEOUT_S, "db-redundancy-check")) {
            ok("auth", "logged in as " + node.user() + " (" + ms(t) + ")");
            tls(c, url);
            try (Statement st = c.createStatement()) {
                ok("version", "PostgreSQL " + one(st, "show server_version"));
                ok("latency", String.format(Locale.ROOT, "%.2f ms round trip (median of 5)", Probe.latency(c)));
                pooler(st, url);
                privileges(st);
                libraryTables(st);
            }
        } catch (SQLException e) {
            Diagnosis d = Diagnosis.of(e);
            fail("auth", Diagnosis.message(e) + (d.fix() == null ? "" : " -> " + d.fix()),
                    d.exitCode() == ExitCodes.CONNECTION ? ExitCodes.CONNECTION : ExitCodes.DIFFERENCES);
        }
    }

    /** The fix for a connection whose server is not authenticated: pgjdbc checks the certificate and host name. */
    static final String VERIFY_FULL = "add ?sslmode=verify-full&sslrootcert=/path/to/root.crt to the URL (the CA"
            + " certificate that signed the server's; pgjdbc's default is ~/.postgresql/root.crt)";

    /**
     * The {@code sslmode} the URL asks for, from the URL alone: for a host that is not this machine, anything weaker than
     * {@code verify-full} lets a machine in the path pose as the server (and read the password it is sent).
     */
    private void sslmode(DatabaseUrl url) {
        if (local(url.host())) {
            return;
        }
        String mode = effectiveSslMode(url);
        if (mode.equals("verify-full")) {
            ok("sslmode", "verify-full: the server's certificate and host name are checked");
        } else {
            warn("sslmode", mode + " for " + url.host() + ": "
                    + (mode.startsWith("disable") || mode.startsWith("allow") || mode.startsWith("prefer")
                    ? "the connection may not be encrypted at all, and "
                    : "encrypted, but ")
                    + "the server's certificate and host name are not checked, so a machine in the path can pose as"
                    + " the server and read the password -> " + VERIFY_FULL);
        }
    }

    /** {@code sslmode}, else what pgjdbc makes of {@code ssl=true} (verify-full), else its default, prefer. */
    static String effectiveSslMode(DatabaseUrl url) {
        Map<String, String> p = url.parameters();
        String mode = p.get("sslmode");
        if (mode != null && !mode.isBlank()) {
            return mode.trim().toLowerCase(Locale.ROOT);
        }
        String ssl = p.get("ssl");
        if (ssl != null && (ssl.isEmpty() || ssl.equalsIgnoreCase("true"))) {
            return "verify-full";
        }
        return "prefer (the default)";
    }

    /** This machine: {@code localhost}, a loopback address, or a Unix socket directory. */
    static boolean local(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        return h.equals("localhost") || h.endsWith(".localhost") || h.startsWith("127.") || h.equals("[::1]")
                || h.startsWith("/");
    }

    private void tls(Connection c, DatabaseUrl url) throws SQLException {
        String mode = effectiveSslMode(url);
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select ssl, version, cipher from pg_stat_ssl where pid = pg_backend_pid()")) {
            if (rs.next() && rs.getBoolean(1)) {
                ok("tls", rs.getString(2) + " " + rs.getString(3) + " (sslmode " + mode + ")");
            } else if (local(url.host())) {
                ok("tls", "not used (sslmode " + mode + "); fine on this machine's loopback");
            } else {
                warn("tls", "not used (sslmode " + mode + "): credentials and data cross the network in clear -> "
                        + VERIFY_FULL);
            }
        }
    }

    private void pooler(Statement st, DatabaseUrl url) {
        if (url.pooler()) {
            ok("pooler", "pooler endpoint (" + (url.host().contains("-pooler.") ? "-pooler. host" : "pgbouncer=true")
                    + "): server-side prepared statements off; COPY and long transactions go through it");
            return;
        }
        if (url.port() == 6432) {
            warn("pooler", "port 6432 is PgBouncer's: add pgbouncer=true to the URL if it is one");
            return;
        }
        ok("pooler", "direct connection to the server (no -pooler./pgbouncer=true in the URL)");
    }

    private void privileges(Statement st) throws SQLException {
        List<String> problems = new ArrayList<>();
        if (!Boolean.parseBoolean(one(st, "select has_schema_privilege(current_schema(), 'CREATE')::text"))) {
            problems.add("CREATE on schema " + one(st, "select current_schema()") + " (the library's tables)");
        }
        List<String> tables = new ArrayList<>();
        int count = 0;
        try (ResultSet rs = st.executeQuery("""
                select n.nspname || '.' || c.relname,
                  has_table_privilege(c.oid, 'SELECT') and has_table_privilege(c.oid, 'INSERT')
                  and has_table_privilege(c.oid, 'UPDATE') and has_table_privilege(c.oid, 'DELETE')
                  and has_table_privilege(c.oid, 'TRUNCATE')
                from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema')
                  and n.nspname not like 'pg\\_%'""")) {
            while (rs.next()) {
                count++;
                if (!rs.getBoolean(2)) {
                    tables.add(rs.getString(1));
                }
            }
        }
        if (!tables.isEmpty()) {
            problems.add("SELECT/INSERT/UPDATE/DELETE/TRUNCATE on " + String.join(", ", tables.subList(0,
                    Math.min(5, tables.size()))) + (tables.size() > 5 ? " and " + (tables.size() - 5) + " more" : ""));
        }
        String seqs = one(st, """
                select count(*) filter (where not has_sequence_privilege(c.oid, 'USAGE,SELECT,UPDATE'))::text
                from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where c.relkind = 'S' and n.nspname not in ('pg_catalog', 'information_schema')""");
        if (!"0".equals(seqs)) {
            problems.add("USAGE/UPDATE on " + seqs + " sequence(s)");
        }
        if (problems.isEmpty()) {
            ok("privileges", "CREATE on the schema, read/write/truncate on " + count + " tables, sequences usable");
        } else {
            fail("privileges", "missing " + String.join("; ", problems) + " -> GRANT them to "
                    + one(st, "select current_user"), ExitCodes.DIFFERENCES);
        }
        boolean replica;
        try {
            st.execute("set session_replication_role = replica");
            st.execute("set session_replication_role = default");
            replica = true;
        } catch (SQLException e) {
            replica = false;
        }
        if (replica) {
            ok("replica", "session_replication_role allowed: the mirror applies changes as a replica (this database's"
                    + " triggers and foreign keys do not fire for them), full sync copies all tables at once");
        } else {
            warn("replica", "session_replication_role not allowed: when this database is the standby its triggers"
                    + " fire for mirrored changes (a trigger that fills a column overwrites the origin's value; entries"
                    + " that fail a foreign key are applied again after their batch) and full sync copies in"
                    + " foreign-key order -> GRANT SET ON PARAMETER session_replication_role TO "
                    + one(st, "select current_user") + " (PostgreSQL 15+), or make such triggers return early when"
                    + " current_setting('redundancy.applying', true) = 'on'");
        }
    }

    private void libraryTables(Statement st) throws SQLException {
        List<String> missing = new ArrayList<>();
        for (String table : LIBRARY_TABLES) {
            if (!Probe.exists(st, table)) {
                missing.add(table);
            }
        }
        if (missing.isEmpty()) {
            ok("tables", "library tables present: " + String.join(", ", LIBRARY_TABLES));
        } else {
            warn("tables", "library tables missing: " + String.join(", ", missing) + " -> run: redundancy migrate"
                    + " (the application also creates them at start)");
        }
    }

    private static String one(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static String ms(long startNanos) {
        return String.format(Locale.ROOT, "%.1f ms", (System.nanoTime() - startNanos) / 1e6);
    }
}
