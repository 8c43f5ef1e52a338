package io.dbredundancy.hibernate.health;

import io.dbredundancy.hibernate.DatabaseUrl;
import io.dbredundancy.hibernate.Node;

import javax.sql.DataSource;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.EnumMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Probes with {@code SELECT 1} on a connection of its own: opened straight through the PostgreSQL driver (outside
 * the application's pools) with connect, login and socket time-outs derived from {@code health.timeout_ms}. One idle
 * probe connection per node is kept between probes, so a healthy node costs one round trip per probe, not a new
 * connection; a probe that fails on the kept connection retries once on a fresh one (the first error after a bounce
 * comes from the old connection).
 */
public final class JdbcProber implements Prober {

    /** Opens a connection to a node within about {@code timeoutMs}. */
    @FunctionalInterface
    public interface Opener {
        Connection open(long timeoutMs) throws SQLException;
    }

    private final Map<Node, Opener> openers = new EnumMap<>(Node.class);
    private final Map<Node, AtomicReference<Connection>> idle = new EnumMap<>(Node.class);
    private volatile boolean closed;

    public JdbcProber(Map<Node, Opener> openers) {
        this.openers.putAll(openers);
        for (Node n : openers.keySet()) {
            idle.put(n, new AtomicReference<>());
        }
    }

    /** Opens through {@code org.postgresql.Driver} directly, never through a pool. */
    public static Opener driver(String jdbcUrl, String user, String password) {
        Driver driver = new org.postgresql.Driver();
        return timeoutMs -> {
            Properties p = new Properties();
            if (user != null) {
                p.setProperty("user", user);
            }
            if (password != null) {
                p.setProperty("password", password);
            }
            int seconds = (int) Math.max(1, (timeoutMs + 999) / 1000);
            p.setProperty("connectTimeout", Integer.toString(seconds));
            p.setProperty("socketTimeout", Integer.toString(seconds + 1));
            p.setProperty("loginTimeout", Double.toString(timeoutMs / 1000.0));
            p.setProperty("ApplicationName", "db-redundancy-probe");
            p.setProperty("tcpKeepAlive", "true");
            Connection c = driver.connect(jdbcUrl, p);
            if (c == null) {
                throw new SQLException("not a PostgreSQL URL", "08001");
            }
            return c;
        };
    }

    /** Opens from a container DataSource (JNDI mode, where the plugin owns no connection of its own). */
    public static Opener dataSource(DataSource ds) {
        return timeoutMs -> ds.getConnection();
    }

    @Override
    public ProbeResult probe(Node node, long timeoutMs) {
        Opener opener = openers.get(node);
        if (opener == null) {
            return ProbeResult.failed(0, node + " is not configured", null, ProbeResult.Failure.OTHER);
        }
        long t0 = System.nanoTime();
        Connection kept = idle.get(node).getAndSet(null);
        if (kept != null) {
            ProbeResult r = select(node, kept, t0, timeoutMs);
            if (r.ok() || elapsedMs(t0) > timeoutMs / 2.0) {
                return r;
            }
        }
        Connection c;
        try {
            c = opener.open(Math.max(1, timeoutMs - (long) elapsedMs(t0)));
        } catch (SQLException | RuntimeException e) {
            return failure(e, elapsedMs(t0));
        }
        return select(node, c, t0, timeoutMs);
    }

    private ProbeResult select(Node node, Connection c, long t0, long timeoutMs) {
        try {
            int left = (int) Math.max(1, timeoutMs - (long) elapsedMs(t0));
            c.setNetworkTimeout(Runnable::run, left);
            try (Statement st = c.createStatement()) {
                st.execute("SELECT 1");
            }
            double ms = elapsedMs(t0);
            if (closed || !idle.get(node).compareAndSet(null, c)) {
                quietClose(c);
            }
            return ProbeResult.ok(ms);
        } catch (SQLException | RuntimeException e) {
            quietClose(c);
            return failure(e, elapsedMs(t0));
        }
    }

    private static double elapsedMs(long t0) {
        return (System.nanoTime() - t0) / 1_000_000.0;
    }

    private static void quietClose(Connection c) {
        try {
            c.close();
        } catch (SQLException | RuntimeException ignored) {
            // the connection is broken anyway
        }
    }

    /** Classifies an error: refused, unknown host, authentication, unknown database, time-out, other. */
    static ProbeResult failure(Exception e, double ms) {
        String state = e instanceof SQLException se ? se.getSQLState() : null;
        ProbeResult.Failure kind = ProbeResult.Failure.OTHER;
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof ConnectException) {
                kind = ProbeResult.Failure.REFUSED;
                break;
            }
            if (c instanceof UnknownHostException) {
                kind = ProbeResult.Failure.UNKNOWN_HOST;
                break;
            }
            if (c instanceof SocketTimeoutException) {
                kind = ProbeResult.Failure.TIMEOUT;
                break;
            }
        }
        if (kind == ProbeResult.Failure.OTHER && state != null) {
            if (state.equals("28P01") || state.equals("28000")) {
                kind = ProbeResult.Failure.AUTHENTICATION;
            } else if (state.equals("3D000")) {
                kind = ProbeResult.Failure.UNKNOWN_DATABASE;
            } else if (String.valueOf(e.getMessage()).toLowerCase().contains("timed out")) {
                kind = ProbeResult.Failure.TIMEOUT;
            }
        }
        return ProbeResult.failed(ms, describe(e), state, kind);
    }

    /** One line: the message and the root cause, passwords masked. */
    public static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String msg = String.valueOf(e.getMessage());
        if (root != e && root.getMessage() != null && !msg.contains(root.getMessage())) {
            msg += ": " + root.getClass().getSimpleName() + ": " + root.getMessage();
        }
        return DatabaseUrl.mask(msg.replace('\n', ' ').replace('\r', ' ')).trim();
    }

    @Override
    public void close() {
        closed = true;
        for (AtomicReference<Connection> ref : idle.values()) {
            Connection c = ref.getAndSet(null);
            if (c != null) {
                quietClose(c);
            }
        }
    }
}
