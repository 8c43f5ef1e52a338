package io.dbredundancy.hibernate.sync;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.routing.RedundancyRuntime;
import io.dbredundancy.hibernate.routing.UnitFeature;

import java.util.List;

/**
 * Attaches the sync feature to every unit at start: the schema changelog applied to the nodes that are up (and to
 * the others once they are back), and the unit's {@link UnitSync}. Listed in
 * {@code META-INF/services/io.dbredundancy.hibernate.routing.UnitFeature}.
 */
public final class SyncFeature implements UnitFeature {

    @Override
    public Attached attach(RedundancyRuntime unit) {
        SyncHost host = new CoreSyncHost(unit);
        StartMigration migration = new StartMigration(host);
        List<Node> notMigrated = migration.atStart();
        UnitSync sync = UnitSync.create(host);
        if (sync != null) {
            unit.putFeature(UnitSync.class, sync);
        }
        return new Attached() {
            @Override
            public void serving() {
                if (sync != null) {
                    sync.start();
                }
                notMigrated.forEach(migration::whenBack);
            }

            @Override
            public void close() {
                if (sync != null) {
                    sync.close();
                }
            }
        };
    }
}
