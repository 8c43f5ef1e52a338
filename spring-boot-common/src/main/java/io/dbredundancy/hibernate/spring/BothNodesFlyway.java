package io.dbredundancy.hibernate.spring;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.routing.RedundancyRuntime;
import io.dbredundancy.hibernate.routing.RedundantConnectionProvider;
import io.dbredundancy.hibernate.RedundancyStatus;
import org.flywaydb.core.Flyway;

import java.util.ArrayList;
import java.util.List;

/**
 * The application's Flyway migrations applied to both databases: Boot builds its {@code Flyway} from
 * {@code spring.flyway.*} (on the routing DataSource); this migration strategy runs that configuration on the
 * primary's pool, then on the secondary's. A failing migration fails the start, as with Boot's own strategy. A node
 * that is down at start is migrated once the health monitor sees it up again (one WARN line now, one INFO line then).
 */
public final class BothNodesFlyway {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.spring");

    private final RedundantConnectionProvider provider;

    public BothNodesFlyway(RedundantConnectionProvider provider) {
        this.provider = provider;
    }

    /** The starters' {@code FlywayMigrationStrategy}. */
    public void migrate(Flyway configured) {
        RedundancyRuntime rt = (provider.isUnwrappableAs(io.dbredundancy.hibernate.routing.RedundancyRuntime.class) ? provider.unwrap(io.dbredundancy.hibernate.routing.RedundancyRuntime.class) : null);
        List<Node> nodes = new ArrayList<>(List.of(Node.PRIMARY));
        if (rt.config().redundancyEnabled()) {
            nodes.add(Node.SECONDARY);
        }
        RedundancyStatus status = rt.status();
        for (Node node : nodes) {
            if (up(status, node)) {
                migrate(rt, configured, node);
            } else {
                LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] the " + node + " database is down at start:"
                        + " the Flyway migrations are applied to it when it is back");
                whenBack(rt, configured, node);
            }
        }
    }

    private static void migrate(RedundancyRuntime rt, Flyway configured, Node node) {
        Flyway.configure(configured.getConfiguration().getClassLoader())
                .configuration(configured.getConfiguration())
                .dataSource(rt.dataSource(node))
                .load()
                .migrate();
    }

    private static void whenBack(RedundancyRuntime rt, Flyway configured, Node node) {
        long period = Math.max(500, rt.config().healthIntervalMs());
        rt.schedule(() -> {
            if (rt.closed()) {
                return;
            }
            if (!up(rt.status(), node)) {
                whenBack(rt, configured, node);
                return;
            }
            rt.workers().execute(() -> {
                try {
                    migrate(rt, configured, node);
                    LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] Flyway migrations applied to the " + node
                            + " database, which is back");
                } catch (RuntimeException e) {
                    if (rt.closed()) {
                        return;
                    }
                    if (!up(rt.status(), node)) {
                        whenBack(rt, configured, node); // down again: try when it is back
                    } else {
                        LOG.log(System.Logger.Level.ERROR, "[DB-Redundancy] Flyway migration of the " + node
                                + " database failed: " + e.getMessage() + " (fix it and run Flyway against it)");
                    }
                }
            });
        }, period);
    }

    private static boolean up(RedundancyStatus status, Node node) {
        RedundancyStatus.NodeStatus n = node == Node.PRIMARY ? status.primary() : status.secondary();
        return n != null && n.connected();
    }
}
