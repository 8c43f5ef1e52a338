package io.dbredundancy.hibernate.sync;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.SyncException;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Applies a Liquibase changelog to both databases of a unit, the primary first, then the secondary; on each, instances
 * take turns as {@link Migrations} describes. The core calls {@link #migrateBoth} at start for {@code hibernate.redundancy.schema.changelog};
 * the command line's {@code migrate} does the same.
 */
public final class SchemaMigrator {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.sync");

    private final ClassLoader loader;

    public SchemaMigrator(ClassLoader loader) {
        this.loader = Objects.requireNonNull(loader, "loader");
    }

    /** Uses the loader that loaded this class (and the library's changelogs). */
    public SchemaMigrator() {
        this(SchemaMigrator.class.getClassLoader());
    }

    /**
     * Applies {@code changelog} to every endpoint given (usually the primary and the secondary; a missing secondary
     * is simply not passed).
     *
     * @throws SyncException one line: which database and why ("Schema migration of the secondary database
     *                       (postgresql://app:***@host:5432/db) with db/app.xml failed: …"). Databases before it in the
     *                       list are migrated; the ones after it are not attempted.
     */
    public List<Node> migrateBoth(String changelog, List<Endpoint> endpoints) {
        Objects.requireNonNull(changelog, "changelog");
        if (loader.getResource(changelog) == null && !new java.io.File(changelog).isFile()) {
            throw new SyncException("Changelog '" + changelog + "' is not on the classpath; check "
                    + "hibernate.redundancy.schema.changelog / --changelog");
        }
        List<Node> done = new ArrayList<>();
        for (Endpoint e : endpoints) {
            migrate(changelog, e);
            done.add(e.node());
        }
        return done;
    }

    /** Applies {@code changelog} to one database. */
    public void migrate(String changelog, Endpoint endpoint) {
        String where = "the " + endpoint.node().id() + " database (" + endpoint.display() + ")";
        try (Connection c = endpoint.open()) {
            long start = System.nanoTime();
            Migrations.apply(c, changelog, loaderFor(changelog));
            LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] Schema of " + where + " migrated with " + changelog
                    + " in " + (System.nanoTime() - start) / 1_000_000 + " ms");
        } catch (SQLException e) {
            throw new SyncException("Schema migration of " + where + " with " + changelog + " failed: cannot connect: "
                    + SyncService.oneLine(e.getMessage()), e);
        } catch (Exception e) {
            throw new SyncException("Schema migration of " + where + " with " + changelog + " failed: "
                    + rootMessage(e), e);
        }
    }

    private ClassLoader loaderFor(String changelog) {
        if (loader.getResource(changelog) != null) {
            return loader;
        }
        // a file path: let a loader rooted at the working directory find it
        try {
            return new java.net.URLClassLoader(new java.net.URL[]{new java.io.File(".").toURI().toURL()}, loader);
        } catch (java.net.MalformedURLException e) {
            return loader;
        }
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        String msg = SyncService.oneLine(e.getMessage());
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                msg = SyncService.oneLine(t.getMessage());
            }
        }
        return msg.isEmpty() ? e.getClass().getSimpleName() : msg;
    }
}
