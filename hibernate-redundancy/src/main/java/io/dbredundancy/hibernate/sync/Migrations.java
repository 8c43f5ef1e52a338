package io.dbredundancy.hibernate.sync;

import liquibase.Liquibase;
import liquibase.Scope;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.resource.ClassLoaderResourceAccessor;
import liquibase.ui.LoggerUIService;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;

/**
 * Applies a Liquibase changelog to one database. Uses only the API that Liquibase 4.33 and 5.x share.
 * <p>
 * Instances that start together take turns through a PostgreSQL session advisory lock ({@link #LOCK_KEY}) held around
 * the update: a waiting instance is woken the moment the one before it is done, and then finds nothing left to run.
 * Liquibase's own lock ({@code DATABASECHANGELOGLOCK}) stays as a second guard; it is free by then, so its poll (10 s
 * by default; 1 s here) is not waited on. Liquibase logs through {@link LiquibaseLog} and prints nothing to
 * standard output (no "UPDATE SUMMARY").
 */
public final class Migrations {

    /** The library's own tables: journal, conflicts, sync state, lease. */
    public static final String LIBRARY_CHANGELOG = "db/redundancy/changelog.xml";

    /** The session advisory lock the start-time migrations of one database take in turn ("migrate"). */
    public static final long LOCK_KEY = 0x6D696772617465L;

    /**
     * How long an instance waits for the advisory lock before it goes on under Liquibase's lock alone (a lock left by
     * a connection multiplexed by a pooler in transaction mode, say).
     */
    static final long LOCK_WAIT_MS = 60_000;

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.sync");

    private Migrations() {
    }

    /**
     * Applies {@code changelog} (a classpath resource) on {@code connection}, waiting its turn behind other instances
     * migrating the same database. The connection is left open.
     *
     * @throws Exception Liquibase's error, for the caller to report with the database's name
     */
    public static void apply(Connection connection, String changelog, ClassLoader loader) throws Exception {
        boolean locked = lock(connection);
        try {
            update(connection, changelog, loader);
        } finally {
            if (locked) {
                unlock(connection);
            }
        }
    }

    @SuppressWarnings("deprecation")
    private static void update(Connection connection, String changelog, ClassLoader loader) throws Exception {
        Map<String, Object> scope = Map.of(
                Scope.Attr.logService.name(), new LiquibaseLog(),
                Scope.Attr.ui.name(), new LoggerUIService(),
                "liquibase.command.showSummary", "OFF",
                "liquibase.command.showSummaryOutput", "LOG",
                "liquibase.changelogLockPollRate", 1L,
                "liquibase.analytics.enabled", false);
        Scope.child(scope, () -> {
            Database db = DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(connection));
            // not closed: closing Liquibase would close the caller's connection
            Liquibase liquibase = new Liquibase(changelog, new ClassLoaderResourceAccessor(loader), db);
            liquibase.update("");
        });
    }

    /**
     * Waits up to {@link #LOCK_WAIT_MS} for the advisory lock (the server wakes the waiter when it is released).
     * False when it was not taken: the update then relies on Liquibase's lock alone.
     */
    static boolean lock(Connection c) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_lock(?)")) {
            ps.setLong(1, LOCK_KEY);
            ps.setQueryTimeout((int) Math.max(1, LOCK_WAIT_MS / 1000));
            long start = System.nanoTime();
            ps.execute();
            long waited = (System.nanoTime() - start) / 1_000_000;
            if (waited >= 100) {
                LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] waited {0} ms for another instance's migration",
                        waited);
            }
            if (!autoCommit) {
                c.commit();
            }
            return true;
        } catch (SQLException e) {
            if (!autoCommit) {
                c.rollback();
            }
            if (!"57014".equals(e.getSQLState())) {
                throw e;
            }
            LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] another instance has held the migration lock"
                    + " (pg_advisory_lock(" + LOCK_KEY + ")) for " + LOCK_WAIT_MS + " ms: migrating under Liquibase's"
                    + " lock alone");
            return false;
        }
    }

    private static void unlock(Connection c) {
        try {
            if (!c.getAutoCommit()) {
                c.rollback(); // a failed update may leave the transaction aborted; a good one has committed
            }
        } catch (SQLException e) {
            LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] rollback before releasing the migration lock: {0}",
                    e.getMessage());
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_unlock(?)")) {
            ps.setLong(1, LOCK_KEY);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && !rs.getBoolean(1)) {
                    LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] the migration lock was not held by this"
                            + " connection at the end (a pooler in transaction mode?): it is released when the server"
                            + " session ends");
                }
            }
            if (!c.getAutoCommit()) {
                c.commit();
            }
        } catch (SQLException e) {
            // the connection is gone, and with it the session's lock
            LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] releasing the migration lock: {0}", e.getMessage());
        }
    }
}
