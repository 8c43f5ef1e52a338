package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.RedundancyConfig.MirrorMode;
import io.dbredundancy.hibernate.RedundancyConfig.MirrorScope;
import io.dbredundancy.hibernate.RedundancySettings;
import io.dbredundancy.hibernate.routing.RedundancyRuntime;
import jakarta.persistence.EntityListeners;
import org.hibernate.boot.Metadata;
import org.hibernate.boot.spi.BootstrapContext;
import org.hibernate.engine.jdbc.connections.spi.MultiTenantConnectionProvider;
import org.hibernate.engine.spi.SessionFactoryImplementor;
import org.hibernate.event.service.spi.EventListenerRegistry;
import org.hibernate.event.spi.EventType;
import org.hibernate.id.enhanced.SequenceStyleGenerator;
import org.hibernate.integrator.spi.Integrator;
import org.hibernate.persister.entity.AbstractEntityPersister;
import org.hibernate.service.spi.SessionFactoryServiceRegistry;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Registers the mirror's capture listeners on the application's SessionFactory: only when its
 * {@code MultiTenantConnectionProvider} is the plugin's (it unwraps to {@link MirrorHost}), never on a
 * SessionFactory the plugin builds for itself ({@value RedundancySettings#ROLE} set), and not with
 * {@code mirror.mode=off} or without a secondary.
 */
public final class MirrorIntegrator implements Integrator {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.mirror");

    @Override
    public void integrate(Metadata metadata, BootstrapContext bootstrapContext, SessionFactoryImplementor sf) {
        Map<String, Object> settings = sf.getProperties();
        if (settings.get(RedundancySettings.ROLE) != null) {
            return;
        }
        MirrorHost host = host(sf);
        if (host == null) {
            return;
        }
        // parsed once per unit: the core's, when the host is the plugin's
        RedundancyConfig config = host.config() != null ? host.config() : RedundancyConfig.from(settings);
        if (config.mirrorMode() == MirrorMode.NATIVE) {
            return; // PostgreSQL's logical replication carries the changes (NativeIntegrator)
        }
        if (config.mirrorMode() == MirrorMode.OFF || !config.redundancyEnabled() || !host.redundancyEnabled()) {
            LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] Mirror off ("
                    + (config.mirrorMode() == MirrorMode.OFF ? RedundancySettings.MIRROR_MODE + "=off" : "no secondary")
                    + "): changes are not copied to another database");
            return;
        }
        long syncTimeout = Math.max(2_000, config.healthTimeoutMs() * 4);
        MirrorRuntime[] self = new MirrorRuntime[1];
        MirrorRuntime runtime = new MirrorRuntime(host, config.mirrorMode(),
                () -> config.mirrorScope() == MirrorScope.ANNOTATED ? annotatedEntities(sf) : null,
                () -> sequenceGenerators(sf), () -> mirroredTables(sf, e -> self[0].mirrors(e)), syncTimeout);
        self[0] = runtime;
        CaptureListener listener = new CaptureListener(runtime);
        EventListenerRegistry registry = sf.getEventEngine().getListenerRegistry();
        registry.appendListeners(EventType.POST_INSERT, listener);
        registry.appendListeners(EventType.POST_UPDATE, listener);
        registry.appendListeners(EventType.POST_DELETE, listener);
        registry.appendListeners(EventType.POST_UPSERT, listener);
        registry.appendListeners(EventType.POST_COLLECTION_RECREATE, listener);
        registry.appendListeners(EventType.POST_COLLECTION_UPDATE, listener);
        registry.appendListeners(EventType.POST_COLLECTION_REMOVE, listener);
        BulkDetection.install(registry);
        if (sf.getSessionFactoryOptions().getStatementInspector() instanceof BulkStatementInspector bulk) {
            bulk.bind(runtime);
        }
        MirrorRuntime.register(sf, runtime);
        runtime.ensureSchemas();
        runtime.start();
        host.attach(runtime);
    }

    /** The plugin's provider (its core runtime), or any provider that offers a {@link MirrorHost}; else null. */
    private static MirrorHost host(SessionFactoryImplementor sf) {
        MultiTenantConnectionProvider<?> provider;
        try {
            provider = sf.getServiceRegistry().getService(MultiTenantConnectionProvider.class);
        } catch (RuntimeException e) {
            return null;
        }
        if (provider == null) {
            return null;
        }
        if (provider.isUnwrappableAs(RedundancyRuntime.class)) {
            return new CoreHost(provider.unwrap(RedundancyRuntime.class));
        }
        if (provider.isUnwrappableAs(MirrorHost.class)) {
            return provider.unwrap(MirrorHost.class);
        }
        return null;
    }

    @Override
    public void disintegrate(SessionFactoryImplementor sf, SessionFactoryServiceRegistry serviceRegistry) {
        MirrorRuntime runtime = MirrorRuntime.unregister(sf);
        if (runtime != null) {
            runtime.close();
        }
    }

    /** The entities carrying {@link MirrorListener} (the metamodel exists only once the SessionFactory is built). */
    static Set<String> annotatedEntities(SessionFactoryImplementor sf) {
        Set<String> annotated = new HashSet<>();
        sf.getMappingMetamodel().forEachEntityDescriptor(p -> {
            if (carriesMirrorListener(p.getMappedClass())) {
                annotated.add(p.getEntityName());
            }
        });
        return Set.copyOf(annotated);
    }

    /**
     * Every table of every mirrored entity (its mutable, non-inverse tables) with the key columns it is journaled by,
     * and the tables of their collections (no key columns: journaled per owner).
     */
    static java.util.List<CaptureStatement.Table> mirroredTables(SessionFactoryImplementor sf,
                                                                 java.util.function.Predicate<String> mirrored) {
        java.util.List<CaptureStatement.Table> tables = new java.util.ArrayList<>();
        sf.getMappingMetamodel().forEachEntityDescriptor(p -> {
            if (p instanceof AbstractEntityPersister aep && mirrored.test(p.getEntityName())) {
                aep.forEachMutableTable(t -> {
                    if (!t.isInverse()) {
                        java.util.List<String> keys = new java.util.ArrayList<>();
                        t.getKeyDetails().forEachKeyColumn((position, column) -> keys.add(KeyJson.unquote(column.getColumnName())));
                        tables.add(new CaptureStatement.Table(t.getTableName(), java.util.List.copyOf(keys)));
                    }
                });
            }
        });
        sf.getMappingMetamodel().forEachCollectionDescriptor(c -> {
            if (!c.isInverse() && !c.isOneToMany() && c instanceof org.hibernate.persister.collection.AbstractCollectionPersister acp
                    && mirrored.test(c.getOwnerEntityPersister().getEntityName())) {
                java.util.List<String> owner = new java.util.ArrayList<>();
                for (String column : acp.getKeyColumnNames()) {
                    owner.add(KeyJson.unquote(column));
                }
                tables.add(new CaptureStatement.Table(acp.getTableName(), java.util.List.of(), java.util.List.copyOf(owner)));
            }
        });
        return tables;
    }

    /** Hibernate's sequence generators as [{"seq","table","column","pad"}], for aligning sequences to rows. */
    public static String sequenceGenerators(SessionFactoryImplementor sf) {
        StringBuilder sequences = new StringBuilder("[");
        sf.getMappingMetamodel().forEachEntityDescriptor(p -> {
            if (p.getGenerator() instanceof SequenceStyleGenerator g && p instanceof AbstractEntityPersister aep
                    && aep.getIdentifierColumnNames().length == 1 && p.getSuperMappingType() == null) {
                if (sequences.length() > 1) {
                    sequences.append(',');
                }
                sequences.append("{\"seq\":");
                KeyJson.string(sequences, g.getDatabaseStructure().getPhysicalName().render());
                sequences.append(",\"table\":");
                KeyJson.string(sequences, aep.getRootTableName());
                sequences.append(",\"column\":");
                KeyJson.string(sequences, KeyJson.unquote(aep.getIdentifierColumnNames()[0]));
                sequences.append(",\"pad\":").append(Math.max(1, g.getDatabaseStructure().getIncrementSize())).append('}');
            }
        });
        return sequences.append(']').toString();
    }

    /** True when {@code type} or a superclass lists {@link MirrorListener} in {@code @EntityListeners}. */
    static boolean carriesMirrorListener(Class<?> type) {
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            EntityListeners listeners = c.getAnnotation(EntityListeners.class);
            if (listeners != null && Arrays.asList(listeners.value()).contains(MirrorListener.class)) {
                return true;
            }
        }
        return false;
    }
}
