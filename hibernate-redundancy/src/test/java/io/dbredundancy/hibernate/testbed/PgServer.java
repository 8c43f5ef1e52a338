package io.dbredundancy.hibernate.testbed;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.util.LinuxUtils;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One real PostgreSQL 17 server on 127.0.0.1 (zonky embedded binaries), with real faults:
 * {@link #kill9()}, {@link #freeze()}/{@link #thaw()} (SIGSTOP/SIGCONT of the postmaster and all its children),
 * {@link #stop()}, {@link #restart()} (same port, same data directory, data preserved).
 *
 * <p>TCP connections need the password ({@code scram-sha-256}); user {@code postgres}. The first start goes
 * through {@link EmbeddedPostgres} (which wraps the binaries in {@code unshare -U} when running as root); where
 * {@code unshare -U} is refused while running as root, the server runs as the OS user {@code nobody} through
 * {@code setpriv}. Every later start/stop uses {@code pg_ctl} from the same binaries and the same wrapper.
 *
 * <p>Use through {@link PostgresPair}, or {@link #start(String)} and {@link #close()} directly.
 */
public final class PgServer implements AutoCloseable {

    /**
     * Server settings for tests: fast, many connections, only loopback TCP. {@code fsync=off} loses nothing on a
     * kill -9 (the OS keeps the page cache); {@code synchronous_commit} stays on, so a commit survives kill -9.
     */
    static final Map<String, String> SETTINGS = settings();

    private static final Pattern DB_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final Duration START_WAIT = Duration.ofSeconds(60);

    private final String name;
    private final Path baseDir;
    private final Path dataDir;
    private final Path logFile;
    private final Launch launch;
    private final String password;
    private final Map<String, String> settings;
    private volatile int port;
    private volatile Path binDir;
    private volatile EmbeddedPostgres embedded;
    private volatile DockerPostgres docker;
    private volatile boolean frozen;
    private volatile boolean closed;

    private PgServer(String name, Launch launch, Map<String, String> extra) throws IOException {
        this.name = name;
        Map<String, String> all = new LinkedHashMap<>(SETTINGS);
        all.putAll(extra);
        this.settings = Map.copyOf(all);
        this.launch = launch;
        this.baseDir = Files.createTempDirectory("pgtestbed-" + name + "-");
        this.dataDir = baseDir.resolve("data");
        this.logFile = baseDir.resolve("server.log");
        byte[] random = new byte[6];
        new SecureRandom().nextBytes(random);
        this.password = "pw-" + name + "-" + HexFormat.of().formatHex(random);
    }

    /** Starts a fresh server (initdb + start) on a free port. {@code name} appears in paths and the password. */
    public static PgServer start(String name) {
        return start(name, Launch.detect(), Map.of());
    }

    /** As {@link #start(String)}, with server settings added to (or replacing) the bed's: {@code wal_level=logical}. */
    public static PgServer start(String name, Map<String, String> settings) {
        return start(name, Launch.detect(), settings);
    }

    static PgServer start(String name, Launch launch) {
        return start(name, launch, Map.of());
    }

    static PgServer start(String name, Launch launch, Map<String, String> extra) {
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            PgServer server = null;
            try {
                server = new PgServer(name, launch, extra);
                server.port = freePort();
                server.initAndStart();
                Cleanup.register(server);
                return server;
            } catch (IOException | RuntimeException e) {
                last = e instanceof IOException io ? io : new IOException(e.getMessage(), e);
                if (server != null) {
                    server.close();
                }
            }
        }
        throw new UncheckedIOException("could not start PostgreSQL '" + name + "'", last);
    }

    private void initAndStart() throws IOException {
        if (launch == Launch.DOCKER) {
            docker = new DockerPostgres(port, password, settings);
            awaitLogin(START_WAIT);
            return;
        }
        if (launch == Launch.SETPRIV) {
            binDir = SetprivLauncher.binaries(baseDir);
            SetprivLauncher.initdb(binDir, baseDir, dataDir);
            pgCtlStart();
        } else {
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDir)
                    .setCleanDataDirectory(false)
                    .setRegisterShutdownHook(false)
                    .setPort(port)
                    .setPGStartupWait(START_WAIT)
                    .setOutputRedirector(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .setErrorRedirector(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
            settings.forEach(builder::setServerConfig);
            builder.setServerConfig("unix_socket_directories", dataDir.toString());
            embedded = builder.start();
            binDir = Path.of(Files.readSymbolicLink(Path.of("/proc", Long.toString(postmasterPid().orElseThrow()), "exe")).toString()).getParent();
        }
        secure();
    }

    /** Sets the password and switches TCP logins to scram-sha-256 (the Unix socket stays trusted for the bed). */
    private void secure() throws IOException {
        try (Connection c = DriverManager.getConnection(jdbcUrl(), "postgres", "");
             Statement s = c.createStatement()) {
            s.execute("ALTER USER postgres PASSWORD '" + password + "'");
            Files.writeString(dataDir.resolve("pg_hba.conf"),
                    "local all all trust\n"
                            + "host all all 127.0.0.1/32 scram-sha-256\n"
                            + "host all all ::1/128 scram-sha-256\n");
            s.execute("SELECT pg_reload_conf()");
        } catch (SQLException e) {
            throw new IOException("could not set up authentication: " + e.getMessage(), e);
        }
        // pg_reload_conf is asynchronous: wait until a password-less login is refused
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Connection ignored = DriverManager.getConnection(jdbcUrl(), "postgres", "")) {
                sleep(20);
            } catch (SQLException expected) {
                return;
            }
        }
        throw new IOException("pg_hba.conf reload did not take effect");
    }

    // ---------------------------------------------------------------- coordinates

    public String name() {
        return name;
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return port;
    }

    public String user() {
        return "postgres";
    }

    public String password() {
        return password;
    }

    /** {@code jdbc:postgresql://127.0.0.1:port/postgres}, without credentials. */
    public String jdbcUrl() {
        return jdbcUrl("postgres");
    }

    /** {@code jdbc:postgresql://127.0.0.1:port/db}, without credentials. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host() + ":" + port + "/" + database;
    }

    /** {@code postgresql://postgres:password@127.0.0.1:port/db}: the form Neon/Heroku print. */
    public String uri(String database) {
        return "postgresql://" + user() + ":" + password + "@" + host() + ":" + port + "/" + database;
    }

    public Path dataDirectory() {
        return dataDir;
    }

    /** A new JDBC connection to database {@code postgres} with connect and socket timeouts of 5 s. */
    public Connection connect() throws SQLException {
        return connect("postgres");
    }

    /** A new JDBC connection to {@code database} with connect and socket timeouts of 5 s. */
    public Connection connect(String database) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user());
        p.setProperty("password", password);
        p.setProperty("connectTimeout", "5");
        p.setProperty("socketTimeout", "5");
        p.setProperty("loginTimeout", "5");
        return DriverManager.getConnection(jdbcUrl(database), p);
    }

    /** Creates {@code database} unless it exists; returns its JDBC URL. */
    public String createDatabase(String database) {
        if (!DB_NAME.matcher(database).matches()) {
            throw new IllegalArgumentException("database name must match " + DB_NAME + ": " + database);
        }
        try (Connection c = connect()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
                ps.setString(1, database);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        try (Statement s = c.createStatement()) {
                            s.execute("CREATE DATABASE " + database);
                        }
                    }
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not create database " + database + " on " + name + ": " + e.getMessage(), e);
        }
        return jdbcUrl(database);
    }

    /** Drops {@code database} (terminating its sessions) if it exists. */
    public void dropDatabase(String database) {
        if (!DB_NAME.matcher(database).matches()) {
            throw new IllegalArgumentException("database name must match " + DB_NAME + ": " + database);
        }
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException("could not drop database " + database + " on " + name + ": " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- state

    /** True when the postmaster process is alive (it may be frozen). */
    public boolean isRunning() {
        if (docker != null) {
            return docker.isRunning();
        }
        return postmasterPid().filter(Proc::isAlive).isPresent();
    }

    public boolean isFrozen() {
        return frozen;
    }

    /** The postmaster's pid, read from {@code postmaster.pid}. */
    public Optional<Long> postmasterPid() {
        if (docker != null) {
            return docker.pid();
        }
        try {
            Path pidFile = dataDir.resolve("postmaster.pid");
            if (!Files.exists(pidFile)) {
                return Optional.empty();
            }
            List<String> lines = Files.readAllLines(pidFile, StandardCharsets.US_ASCII);
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    // ---------------------------------------------------------------- faults

    /** kill -9 of the postmaster and every child, at once; returns when they are gone. */
    public synchronized void kill9() {
        if (docker != null) {
            docker.kill9();
            frozen = false;
            return;
        }
        Optional<Long> pid = postmasterPid().filter(Proc::isAlive);
        if (pid.isEmpty()) {
            return;
        }
        List<Long> tree = Proc.tree(pid.get());
        Proc.signal("KILL", tree);
        Proc.signal("KILL", Proc.tree(pid.get())); // anything forked meanwhile
        Proc.awaitDeath(tree, Duration.ofSeconds(10));
        frozen = false;
    }

    /** SIGSTOP of the postmaster and all its children: the port still accepts TCP, nothing answers. */
    public synchronized void freeze() {
        if (docker != null) {
            docker.freeze();
            frozen = true;
            return;
        }
        long pid = postmasterPid().filter(Proc::isAlive)
                .orElseThrow(() -> new IllegalStateException(name + " is not running"));
        frozen = true;
        Proc.signal("STOP", List.of(pid));
        List<Long> tree = Proc.tree(pid);
        Proc.signal("STOP", tree);
        // signal delivery is asynchronous: return once every process is really stopped
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline && !tree.stream().allMatch(p -> Proc.state(p) == 'T' || !Proc.isAlive(p))) {
            sleep(5);
        }
    }

    /** SIGCONT of the postmaster and all its children. */
    public synchronized void thaw() {
        if (docker != null) {
            docker.thaw();
            frozen = false;
            return;
        }
        postmasterPid().filter(Proc::isAlive).ifPresent(pid -> {
            List<Long> tree = Proc.tree(pid);
            Proc.signal("CONT", tree.subList(1, tree.size()));
            Proc.signal("CONT", List.of(pid));
        });
        frozen = false;
    }

    /** Graceful fast shutdown ({@code pg_ctl stop -m fast}). Thaws first. */
    public synchronized void stop() {
        if (docker != null) {
            docker.stop();
            frozen = false;
            return;
        }
        thaw();
        if (isRunning()) {
            pgCtl(Duration.ofSeconds(30), "stop", "-m", "fast", "-t", "20", "-w");
            if (isRunning()) {
                kill9();
            }
        }
    }

    /**
     * Starts the server again on the same port and data directory (after {@link #kill9()} or {@link #stop()});
     * a running server is stopped first. Returns once it accepts logins.
     */
    public synchronized void restart() {
        if (isRunning()) {
            stop();
        }
        try {
            if (docker != null) {
                docker.start();
                awaitLogin(START_WAIT);
                return;
            }
            pgCtlStart();
        } catch (IOException e) {
            throw new UncheckedIOException("could not restart " + name, e);
        }
    }

    private void pgCtlStart() throws IOException {
        removeStalePidFile();
        if (launch == Launch.SETPRIV) {
            if (!Files.exists(logFile)) {
                Files.createFile(logFile);
            }
            Proc.run(List.of("chown", "nobody:nogroup", logFile.toString()), Duration.ofSeconds(5), null);
        }
        StringBuilder opts = new StringBuilder("-p ").append(port).append(" -F");
        settings.forEach((k, v) -> opts.append(" -c ").append(k).append('=').append(v));
        opts.append(" -c unix_socket_directories=").append(dataDir);
        try {
            pgCtl(START_WAIT.plusSeconds(10), "start", "-w", "-t", Long.toString(START_WAIT.toSeconds()),
                    "-l", logFile.toString(), "-o", opts.toString());
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + "\nserver log:\n" + logTail(), e);
        }
        awaitLogin(START_WAIT);
    }

    /** The last 30 lines of the server log. */
    public String logTail() {
        if (docker != null) {
            return docker.logs();
        }
        try {
            List<String> all = Files.readAllLines(logFile);
            return String.join("\n", all.subList(Math.max(0, all.size() - 30), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private void awaitLogin(Duration wait) throws IOException {
        long deadline = System.nanoTime() + wait.toNanos();
        SQLException last = null;
        while (System.nanoTime() < deadline) {
            try (Connection c = connect(); Statement s = c.createStatement()) {
                s.execute("SELECT 1");
                return;
            } catch (SQLException e) {
                last = e;
                sleep(50);
            }
        }
        throw new IOException(name + " did not accept logins within " + wait + " (log: " + logFile + ")", last);
    }

    private void pgCtl(Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>(launch.prefix());
        cmd.add(binDir.resolve("pg_ctl").toString());
        cmd.add("-D");
        cmd.add(dataDir.toString());
        cmd.addAll(List.of(args));
        Proc.run(cmd, timeout, logFile);
    }

    // ---------------------------------------------------------------- cleanup

    /** Thaws, stops and deletes the data directory. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (docker != null) {
            try {
                docker.close();
            } finally {
                Cleanup.unregister(this);
                deleteTree(baseDir);
            }
            return;
        }
        EmbeddedPostgres e = embedded;
        embedded = null;
        try {
            thaw();
            if (isRunning() && e != null) {
                try {
                    e.close(); // pg_ctl stop -m fast, releases zonky's lock
                } catch (IOException | RuntimeException ignored) {
                    // kill below
                }
            } else if (e != null) {
                releaseZonkyLock(e); // its pg_ctl stop would only fail (and log an error) on a dead server
            }
            if (isRunning()) {
                try {
                    pgCtl(Duration.ofSeconds(20), "stop", "-m", "immediate", "-t", "10", "-w");
                } catch (RuntimeException ignored) {
                    // fall through to kill -9
                }
                kill9();
            }
            removeSharedMemory();
        } finally {
            deleteTree(baseDir);
            Cleanup.unregister(this);
        }
    }

    private static void releaseZonkyLock(EmbeddedPostgres e) {
        try {
            java.lang.reflect.Field f = EmbeddedPostgres.class.getDeclaredField("lockStream");
            f.setAccessible(true);
            Object stream = f.get(e);
            if (stream instanceof AutoCloseable c) {
                c.close();
            }
        } catch (Exception ignored) {
            // a leaked file descriptor at worst
        }
    }

    /**
     * A killed postmaster may stay a zombie (its parent is init, which need not reap it soon); PostgreSQL then
     * takes the old postmaster.pid and socket lock for a live server. These files of a dead or zombie process are removed,
     * with its shared memory segment.
     */
    private void removeStalePidFile() throws IOException {
        Optional<Long> pid = postmasterPid();
        if (pid.isPresent() && !Proc.isAlive(pid.get())) {
            removeSharedMemory();
            Files.deleteIfExists(dataDir.resolve("postmaster.pid"));
            try (Stream<Path> files = Files.list(dataDir)) {
                for (Path f : files.filter(f -> f.getFileName().toString().startsWith(".s.PGSQL.")).toList()) {
                    Files.deleteIfExists(f); // socket and socket lock of the dead postmaster
                }
            }
        }
    }

    /** After a kill -9 the postmaster's small SysV segment stays; remove it (line 7 of postmaster.pid). */
    private void removeSharedMemory() {
        try {
            Path pidFile = dataDir.resolve("postmaster.pid");
            if (!Files.exists(pidFile)) {
                return;
            }
            List<String> lines = Files.readAllLines(pidFile);
            if (lines.size() >= 7) {
                String[] keyAndId = lines.get(6).trim().split("\\s+");
                if (keyAndId.length == 2 && !"0".equals(keyAndId[1])) {
                    Proc.run(List.of("ipcrm", "-m", keyAndId[1]), Duration.ofSeconds(5), null);
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // best effort
        }
    }

    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        } catch (IOException | UncheckedIOException ignored) {
            // best effort
        }
    }

    @Override
    public String toString() {
        return "PgServer[" + name + " 127.0.0.1:" + port + (frozen ? " frozen" : "") + "]";
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    /** True when something accepts TCP connections on 127.0.0.1:port within 500 ms. */
    static boolean portOpen(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static Map<String, String> settings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("listen_addresses", "127.0.0.1");
        m.put("max_connections", "200");
        m.put("fsync", "off");
        m.put("synchronous_commit", "on"); // zonky's builder defaults it to off
        m.put("timezone", "UTC");
        m.put("full_page_writes", "off");
        m.put("shared_buffers", "32MB");
        m.put("max_wal_senders", "0");
        m.put("wal_level", "minimal");
        m.put("max_prepared_transactions", "20");
        m.put("log_min_messages", "warning");
        // extra settings for a benchmark's diagnosis, e.g. -Dtestbed.pg.settings=shared_preload_libraries=pg_stat_statements
        for (String kv : System.getProperty("testbed.pg.settings", "").split(";")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                m.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
            }
        }
        return Map.copyOf(m);
    }

    /** How the server processes are launched. */
    enum Launch {
        /** Not root: the binaries run as the current user. */
        DIRECT(List.of()),
        /** Root with user namespaces: zonky's own {@code unshare -U}. */
        UNSHARE(List.of("unshare", "-U")),
        /** Root without user namespaces: run as {@code nobody} through setpriv. */
        SETPRIV(SetprivLauncher.PREFIX),
        /** Testcontainers' PostgreSQL: forced, or off Linux when a Docker engine answers. */
        DOCKER(List.of());

        private final List<String> prefix;

        Launch(List<String> prefix) {
            this.prefix = prefix;
        }

        List<String> prefix() {
            return prefix;
        }

        static Launch detect() {
            String forced = System.getProperty("testbed.launch");
            if (forced != null && !forced.isBlank()) {
                return Launch.valueOf(forced.trim().toUpperCase(java.util.Locale.ROOT));
            }
            boolean linux = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux");
            if (!linux && DockerPostgres.available()) {
                return DOCKER; // kill/SIGSTOP of local processes through /proc are Linux-only
            }
            boolean root = "root".equals(System.getProperty("user.name")) || Proc.euid() == 0;
            if (!root) {
                return DIRECT;
            }
            return LinuxUtils.isUnshareAvailable() ? UNSHARE : SETPRIV;
        }
    }
}
