package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.RedundancyStatus;
import io.dbredundancy.hibernate.SwitchEvent;
import io.dbredundancy.hibernate.routing.RedundancyRuntime;
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
    public io.dbredundancy.hibernate.RedundancyConfig config() {
        return core.config();
    }

    @Override
    public boolean redundancyEnabled() {
        return core.config().redundancyEnabled();
    }

    @Override
    public java.sql.Connection relayConnection(Node node) throws java.sql.SQLException {
        io.dbredundancy.hibernate.NodeConfig config = core.config().node(node);
        if (config == null || config.isJndi() || config.pooler()) {
            return null; // a container's DataSource, or a transaction pooler that does not keep session settings
        }
        int timeout = (int) Math.max(2, core.config().healthTimeoutMs() / 1000 * 2);
        return io.dbredundancy.hibernate.sync.Endpoint.open(config, timeout, 35, "db-redundancy-relay");
    }

    @Override
    public boolean repairMarkedTables(Node source) {
        io.dbredundancy.hibernate.sync.SyncService sync = io.dbredundancy.hibernate.sync.UnitSync.of(core).service();
        if (sync == null) {
            return false;
        }
        io.dbredundancy.hibernate.sync.SafetyNetSync.repairMarked(sync, source,
                io.dbredundancy.hibernate.sync.SyncOptions.defaults());
        return true;
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
    public void fenced(Node node) {
        core.fenced(node);
    }

    @Override
    public void attach(MirrorRuntime mirror) {
        // sessions on the new node wait for this (bounded): its sequences moved past its own rows at once, and past
        // the other node's sequences too when that node did not fail (it answers quickly)
        core.addSwitchPreparer((SwitchEvent e) -> {
            Node to = e.to().node();
            if (e.fromFailed()) {
                mirror.alignToOwnRows(to, MirrorRuntime.FAILED_NODE_MARGIN);
            } else {
                mirror.alignToOwnRows(to, 1);
                mirror.alignToOther(to);
            }
        });
        core.addListener((SwitchEvent e) -> {
            Node to = e.to().node();
            if (to == null) {
                return;
            }
            Node from = e.from().node();
            // off the health thread: these talk to the databases
            core.workers().execute(() -> {
                if (e.fromFailed()) {
                    mirror.alignToOther(to); // a failed node may take the pool's whole wait to answer, if at all
                }
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
