package io.dbredundancy.hibernate.testbed;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.concurrent.CompletableFuture;

/**
 * Two real PostgreSQL servers (primary and secondary) for one test class, with lazily created
 * {@link LinkProxy proxies} in front of each.
 *
 * <pre>
 * &#64;RegisterExtension
 * static final PostgresPair pg = new PostgresPair();
 * ...
 * pg.primary().kill9();
 * pg.secondaryProxy().freeze();
 * </pre>
 *
 * Before every test the pair is {@link #heal() healed} (servers thawed and running, proxies restored), so a
 * fault left by one test does not leak into the next. After the class everything is stopped and deleted,
 * also when tests fail. Outside JUnit: {@code try (PostgresPair pg = new PostgresPair().start()) {...}}.
 */
public final class PostgresPair implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AutoCloseable {

    private volatile PgServer primary;
    private volatile PgServer secondary;
    private volatile LinkProxy primaryProxy;
    private volatile LinkProxy secondaryProxy;
    private final java.util.Map<String, String> settings;

    public PostgresPair() {
        this(java.util.Map.of());
    }

    /** A pair whose servers run with {@code settings} on top of the bed's (logical replication, say). */
    public PostgresPair(java.util.Map<String, String> settings) {
        this.settings = java.util.Map.copyOf(settings);
    }

    /** The settings of a pair for {@code mirror.mode=native}: {@code wal_level=logical} and its senders and slots. */
    public static java.util.Map<String, String> logical() {
        return java.util.Map.of("wal_level", "logical", "max_wal_senders", "10", "max_replication_slots", "10");
    }

    /** Starts both servers (in parallel). Returns this. */
    public synchronized PostgresPair start() {
        if (primary != null) {
            return this;
        }
        CompletableFuture<PgServer> p = CompletableFuture.supplyAsync(() -> PgServer.start("primary", settings));
        CompletableFuture<PgServer> s = CompletableFuture.supplyAsync(() -> PgServer.start("secondary", settings));
        try {
            primary = p.join();
            secondary = s.join();
        } catch (RuntimeException e) {
            p.thenAccept(PgServer::close);
            s.thenAccept(PgServer::close);
            throw e;
        }
        return this;
    }

    public PgServer primary() {
        return require(primary);
    }

    public PgServer secondary() {
        return require(secondary);
    }

    /** The proxy in front of the primary (created on first use). */
    public synchronized LinkProxy primaryProxy() {
        if (primaryProxy == null) {
            primaryProxy = new LinkProxy(primary());
        }
        return primaryProxy;
    }

    /** The proxy in front of the secondary (created on first use). */
    public synchronized LinkProxy secondaryProxy() {
        if (secondaryProxy == null) {
            secondaryProxy = new LinkProxy(secondary());
        }
        return secondaryProxy;
    }

    /** Creates {@code database} on both servers. */
    public void createDatabase(String database) {
        primary().createDatabase(database);
        secondary().createDatabase(database);
    }

    /** Undoes every fault: proxies restored, servers thawed and (re)started. */
    public synchronized void heal() {
        for (LinkProxy proxy : new LinkProxy[] {primaryProxy, secondaryProxy}) {
            if (proxy != null) {
                proxy.restore();
            }
        }
        for (PgServer server : new PgServer[] {primary, secondary}) {
            if (server != null) {
                server.thaw();
                if (!server.isRunning()) {
                    server.restart();
                }
            }
        }
    }

    /** Closes proxies, thaws and stops both servers, deletes their data. Idempotent. */
    @Override
    public synchronized void close() {
        try {
            closeQuietly(primaryProxy);
            closeQuietly(secondaryProxy);
        } finally {
            primaryProxy = null;
            secondaryProxy = null;
            PgServer p = primary;
            PgServer s = secondary;
            primary = null;
            secondary = null;
            CompletableFuture<Void> a = CompletableFuture.runAsync(() -> closeQuietly(p));
            CompletableFuture<Void> b = CompletableFuture.runAsync(() -> closeQuietly(s));
            CompletableFuture.allOf(a, b).join();
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        start();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (primary == null) {
            start();
        } else {
            heal();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // keep closing the rest
            }
        }
    }

    private static <T> T require(T value) {
        if (value == null) {
            throw new IllegalStateException("PostgresPair is not started: register it with @RegisterExtension "
                    + "on a static field, or call start()");
        }
        return value;
    }
}
