package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.health.SwitchEvent;
import io.dbredundancy.hibernate.routing.RedundancyRuntime;
import io.dbredundancy.hibernate.status.RedundancyStatus;
import io.dbredundancy.hibernate.status.StatusContributor;

import javax.sql.DataSource;

/**
 * The mirror's view of the core's per-unit {@link RedundancyRuntime}: its pools, its epoch, its switch events (the
 * epoch is recorded in both databases and the new node's sequences are aligned), its status (the mirror part) and
 * its failback gate (failback waits until the journal written on the secondary has drained to the primary).
 */
final class CoreHost implements MirrorHost {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.mirror");

    private final RedundancyRuntime core;

    CoreHost(RedundancyRuntime core) {
        this.core = core;
    }

    @Override
    public DataSource dataSource(Node node) {
        return core.dataSource(node);
    }

    @Override
    public boolean redundancyEnabled() {
        return core.config().redundancyEnabled();
    }

    @Override
    public boolean transactionPooled(Node node) {
        return (node == Node.PRIMARY || core.config().redundancyEnabled()) && core.config().node(node).pooler();
    }

    @Override
    public Node activeNode() {
        return core.state().active().node();
    }

    @Override
    public long epoch() {
        return core.state().epoch();
    }

    @Override
    public long epochOf(java.sql.Connection connection) {
        return RedundancyRuntime.epochOf(connection, core.state().epoch());
    }

    @Override
    public void fenced(Node node) {
        core.fenced(node);
    }

    @Override
    public void attach(MirrorRuntime mirror) {
        core.addListener((SwitchEvent e) -> {
            Node to = e.to().node();
            if (to == null) {
                return;
            }
            Node from = e.from().node();
            // off the health thread: these talk to the databases
            core.workers().execute(() -> {
                mirror.beforeSwitch(to);
                mirror.afterSwitch(from, to, e.epoch());
            });
        });
        core.addStatusContributor(new StatusContributor() {
            @Override
            public RedundancyStatus.MirrorStatus mirror() {
                return mirror.stats().toStatus();
            }
        });
        core.monitor().setFailbackGate(mirror::failbackHold);
        LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] Mirror attached to unit " + core.unit());
    }
}
