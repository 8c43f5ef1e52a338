package io.dbredundancy.hibernate.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Debian's {@code pgbouncer} in transaction pooling mode in front of a {@link PgServer}, on a free port of
 * 127.0.0.1 (a stand-in for a managed pooler endpoint such as Neon's {@code -pooler.} host). Tests call
 * {@code Assumptions.assumeTrue(PgBouncerServer.available())} first: without the binary they are skipped.
 * As root it runs as {@code nobody} through setpriv (pgbouncer refuses to run as root).
 */
public final class PgBouncerServer implements AutoCloseable {

    private static final Path BINARY = Path.of("/usr/sbin/pgbouncer");

    private final PgServer backend;
    private final Path dir;
    private final int port;
    private final Process process;

    private PgBouncerServer(PgServer backend, Path dir, int port, Process process) {
        this.backend = backend;
        this.dir = dir;
        this.port = port;
        this.process = process;
    }

    /** True when {@code /usr/sbin/pgbouncer} exists. */
    public static boolean available() {
        return Files.isExecutable(BINARY);
    }

    /**
     * Skips the calling test, with the reason, when pgbouncer is not installed; under {@code CI=true} fails it
     * instead ({@code .ci/run} installs it, so a missing binary there is a broken run, not a skip).
     */
    public static void require() {
        if (available()) {
            return;
        }
        String why = BINARY + " is not installed (Debian: apt-get install pgbouncer)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError(why + "; CI=true: a missing tool fails the run");
        }
        org.junit.jupiter.api.Assumptions.abort(why);
    }

    /** Starts pgbouncer in front of {@code backend}, knowing the backend's own user. */
    public static PgBouncerServer start(PgServer backend) {
        return start(backend, Map.of(backend.user(), backend.password()));
    }

    /** Starts pgbouncer in front of {@code backend}; {@code users} maps user names to passwords it accepts and uses. */
    public static PgBouncerServer start(PgServer backend, Map<String, String> users) {
        if (!available()) {
            throw new IllegalStateException(BINARY + " is not installed");
        }
        Map<String, String> all = new LinkedHashMap<>(users);
        all.putIfAbsent(backend.user(), backend.password());
        try {
            Path dir = Files.createTempDirectory("pgtestbed-pgbouncer-");
            int port = PgServer.freePort();
            StringBuilder userlist = new StringBuilder();
            all.forEach((u, p) -> userlist.append('"').append(u).append("\" \"").append(p.replace("\"", "\"\"")).append("\"\n"));
            Files.writeString(dir.resolve("userlist.txt"), userlist);
            Files.writeString(dir.resolve("pgbouncer.ini"), String.join("\n",
                    "[databases]",
                    "* = host=" + backend.host() + " port=" + backend.port(),
                    "[pgbouncer]",
                    "listen_addr = 127.0.0.1",
                    "listen_port = " + port,
                    "unix_socket_dir =",
                    "auth_type = scram-sha-256",
                    "auth_file = " + dir.resolve("userlist.txt"),
                    "pool_mode = transaction",
                    "max_client_conn = 500",
                    "default_pool_size = 20",
                    "ignore_startup_parameters = extra_float_digits,options",
                    "logfile = " + dir.resolve("pgbouncer.log"),
                    "pidfile = " + dir.resolve("pgbouncer.pid"),
                    ""));
            List<String> cmd = new ArrayList<>();
            if (Proc.euid() == 0) {
                Proc.run(List.of("chown", "-R", "nobody:nogroup", dir.toString()), Duration.ofSeconds(5), null);
                cmd.addAll(SetprivLauncher.PREFIX);
            }
            cmd.add(BINARY.toString());
            cmd.add(dir.resolve("pgbouncer.ini").toString());
            Process process = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("stdout.log").toFile())).start();
            PgBouncerServer server = new PgBouncerServer(backend, dir, port, process);
            Cleanup.register(server);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!PgServer.portOpen(port)) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    String log = server.log();
                    server.close();
                    throw new IllegalStateException("pgbouncer did not start: " + log);
                }
                PgServer.sleep(20);
            }
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start pgbouncer", e);
        }
    }

    public PgServer backend() {
        return backend;
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    /** {@code jdbc:postgresql://127.0.0.1:port/db} (no server-side prepared statements: add {@code prepareThreshold=0}). */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    public boolean isRunning() {
        return process.isAlive();
    }

    /** kill -9 of pgbouncer; returns once it is gone. */
    public void kill9() {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** pgbouncer's own log (stdout and log file). */
    public String log() {
        StringBuilder sb = new StringBuilder();
        for (String f : List.of("stdout.log", "pgbouncer.log")) {
            try {
                sb.append(Files.readString(dir.resolve(f)));
            } catch (IOException ignored) {
                // not written yet
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill9();
        }
        PgServer.deleteTree(dir);
        Cleanup.unregister(this);
    }

    @Override
    public String toString() {
        return "PgBouncerServer[127.0.0.1:" + port + " -> " + backend + "]";
    }
}
