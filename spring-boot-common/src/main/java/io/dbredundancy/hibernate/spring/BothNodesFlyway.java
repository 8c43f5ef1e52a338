package io.dbredundancy.hibernate.spring;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.routing.RedundancyRuntime;
import io.dbredundancy.hibernate.routing.RedundantConnectionProvider;
import io.dbredundancy.hibernate.status.RedundancyStatus;
import org.flywaydb.core.Flyway;

import java.util.ArrayList;
import java.util.List;

/**
 * The application's Flyway migrations applied to both databases: Boot builds its {@code Flyway} from
 * {@code spring.flyway.*} (on the routing DataSource); this migration strategy runs that configuration once on the
 * primary's pool and once on the secondary's, the primary first. A node that is down at start is skipped with a
 * WARN line (migrate it when it is back: restart the application, or run Flyway against it).
 */
public final class BothNodesFlyway {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.spring");

    private final RedundantConnectionProvider provider;

    public BothNodesFlyway(RedundantConnectionProvider provider) {
        this.provider = provider;
    }

    /** The starters' {@code FlywayMigrationStrategy}. */
    public void migrate(Flyway configured) {
        RedundancyRuntime rt = provider.runtime();
        RedundancyStatus status = rt.status();
        List<Node> nodes = new ArrayList<>(List.of(Node.PRIMARY));
        if (rt.config().redundancyEnabled()) {
            nodes.add(Node.SECONDARY);
        }
        for (Node node : nodes) {
            RedundancyStatus.NodeStatus n = node == Node.PRIMARY ? status.primary() : status.secondary();
            if (n == null || !n.connected()) {
                LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] the " + node + " database is down at start:"
                        + " Flyway migrations are not applied to it (restart the application or run Flyway against"
                        + " it once it is back)");
                continue;
            }
            Flyway.configure(configured.getConfiguration().getClassLoader())
                    .configuration(configured.getConfiguration())
                    .dataSource(rt.dataSource(node))
                    .load()
                    .migrate();
        }
    }
}
