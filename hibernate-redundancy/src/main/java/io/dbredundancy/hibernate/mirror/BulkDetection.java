package io.dbredundancy.hibernate.mirror;

import org.hibernate.boot.spi.MetadataImplementor;
import org.hibernate.boot.spi.SessionFactoryBuilderFactory;
import org.hibernate.boot.spi.SessionFactoryBuilderImplementor;
import org.hibernate.event.spi.AutoFlushEvent;
import org.hibernate.event.spi.AutoFlushEventListener;
import org.hibernate.event.spi.FlushEvent;
import org.hibernate.event.spi.FlushEventListener;
import org.hibernate.resource.jdbc.spi.StatementInspector;

/**
 * Installs {@link BulkStatementInspector} on every SessionFactory being built (it stays inert unless the mirror binds
 * it), keeping the application's own statement inspector behind it. Listed in
 * {@code META-INF/services/org.hibernate.boot.spi.SessionFactoryBuilderFactory}.
 */
public final class BulkDetection implements SessionFactoryBuilderFactory {

    @Override
    public SessionFactoryBuilderImplementor getSessionFactoryBuilder(MetadataImplementor metadata,
                                                                     SessionFactoryBuilderImplementor defaultBuilder) {
        StatementInspector existing = defaultBuilder.buildSessionFactoryOptions().getStatementInspector();
        if (!(existing instanceof BulkStatementInspector)) {
            defaultBuilder.applyStatementInspector(new BulkStatementInspector(existing));
        }
        return defaultBuilder;
    }

    /** Marks the start of a flush (prepended) so its entity DML is not taken for a bulk statement. */
    static final class FlushStart implements FlushEventListener, AutoFlushEventListener {
        @Override
        public void onFlush(FlushEvent event) {
            BulkStatementInspector.FLUSHING.get()[0]++;
        }

        @Override
        public void onAutoFlush(AutoFlushEvent event) {
            BulkStatementInspector.FLUSHING.get()[0]++;
        }
    }

    /** Marks the end of a flush (appended). */
    static final class FlushEnd implements FlushEventListener, AutoFlushEventListener {
        @Override
        public void onFlush(FlushEvent event) {
            end();
        }

        @Override
        public void onAutoFlush(AutoFlushEvent event) {
            end();
        }

        private static void end() {
            int[] depth = BulkStatementInspector.FLUSHING.get();
            if (depth[0] > 0) {
                depth[0]--;
            }
        }
    }
}
