package io.dbredundancy.hibernate.sync;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.health.NodeHealth;
import io.dbredundancy.hibernate.routing.RedundancyRuntime;
import io.dbredundancy.hibernate.status.StatusContributor;

import javax.sql.DataSource;
import java.time.Clock;
import java.util.concurrent.Executor;

/** The sync feature's view of the core's per-unit {@link RedundancyRuntime}. */
final class CoreSyncHost implements SyncHost {

    private final RedundancyRuntime core;

    CoreSyncHost(RedundancyRuntime core) {
        this.core = core;
    }

    @Override
    public String unit() {
        return core.unit();
    }

    @Override
    public RedundancyConfig config() {
        return core.config();
    }

    @Override
    public DataSource dataSource(Node node) {
        return core.dataSource(node);
    }

    @Override
    public boolean up(Node node) {
        NodeHealth h = core.state().health(node);
        return h != null && h.up();
    }

    @Override
    public Node activeNode() {
        return core.state().active().node();
    }

    @Override
    public Clock clock() {
        return core.monitor().clock();
    }

    @Override
    public void schedule(Runnable task, long delayMs) {
        core.schedule(task, delayMs);
    }

    @Override
    public Executor workers() {
        return core.workers();
    }

    @Override
    public void addStatusContributor(StatusContributor contributor) {
        core.addStatusContributor(contributor);
    }

    @Override
    public boolean closed() {
        return core.closed();
    }
}
