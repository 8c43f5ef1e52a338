package io.dbredundancy.hibernate.sync;

import io.dbredundancy.hibernate.DatabaseUrl;
import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.RedundancyConfigException;
import io.dbredundancy.hibernate.RedundancySettings;
import io.dbredundancy.hibernate.SyncException;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code hibernate.redundancy.schema.changelog} at start: applied to every node that is up, the primary first; a
 * node that is down gets it once the health monitor sees it up again (checked every probe period).
 */
final class StartMigration {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.sync");

    private final SyncHost host;
    private final String changelog;
    private SchemaMigrator migrator;

    StartMigration(SyncHost host) {
        this.host = host;
        this.changelog = host.config().schemaChangelog();
    }

    /**
     * Migrates the nodes that are up. A failure stops the start with one line naming the database.
     *
     * @return the nodes that were down and are still to migrate
     */
    List<Node> atStart() {
        if (changelog == null || changelog.isBlank()) {
            return List.of();
        }
        // the application's loader (Hibernate boots on its thread) sees its own changelogs; else the library's
        ClassLoader app = Thread.currentThread().getContextClassLoader();
        migrator = app != null && app.getResource(changelog) != null ? new SchemaMigrator(app) : new SchemaMigrator();
        List<Endpoint> up = new ArrayList<>();
        List<Node> down = new ArrayList<>();
        for (Node n : nodes()) {
            if (host.up(n)) {
                up.add(host.endpoint(n));
            } else {
                down.add(n);
                LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] the " + n + " database "
                        + host.config().node(n).displayUrl() + " is down at start: " + RedundancySettings.SCHEMA_CHANGELOG
                        + " (" + changelog + ") is applied to it when it is back (or run: redundancy migrate"
                        + " --changelog " + changelog + ")");
            }
        }
        try {
            migrator.migrateBoth(changelog, up);
        } catch (SyncException e) {
            throw new RedundancyConfigException(RedundancySettings.SCHEMA_CHANGELOG, RedundancySettings.SCHEMA_CHANGELOG
                    + ": " + DatabaseUrl.mask(e.getMessage()), e);
        }
        return down;
    }

    /** Applies the changelog to {@code node} once the health monitor sees it up again. */
    void whenBack(Node node) {
        if (host.closed()) {
            return;
        }
        long period = Math.max(500, host.config().healthIntervalMs());
        host.schedule(() -> {
            if (host.closed()) {
                return;
            }
            if (!host.up(node)) {
                whenBack(node);
                return;
            }
            host.workers().execute(() -> {
                try {
                    migrator.migrate(changelog, host.endpoint(node));
                } catch (SyncException e) {
                    if (e.getCause() instanceof SQLException) {
                        whenBack(node); // not reachable after all: try again later
                    } else {
                        LOG.log(System.Logger.Level.ERROR, "[DB-Redundancy] " + RedundancySettings.SCHEMA_CHANGELOG
                                + ": " + DatabaseUrl.mask(e.getMessage()) + " (fix it and run: redundancy migrate)");
                    }
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "[DB-Redundancy] " + RedundancySettings.SCHEMA_CHANGELOG
                            + ": migration of the " + node + " database failed: "
                            + DatabaseUrl.mask(String.valueOf(e.getMessage())));
                }
            });
        }, period);
    }

    private List<Node> nodes() {
        return host.config().redundancyEnabled() ? List.of(Node.PRIMARY, Node.SECONDARY) : List.of(Node.PRIMARY);
    }
}
