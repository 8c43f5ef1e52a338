package io.dbredundancy.hibernate.mirror;

import org.hibernate.collection.spi.PersistentCollection;
import org.hibernate.engine.spi.SharedSessionContractImplementor;
import org.hibernate.event.spi.AbstractCollectionEvent;
import org.hibernate.event.spi.AbstractEvent;
import org.hibernate.event.spi.PostCollectionRecreateEvent;
import org.hibernate.event.spi.PostCollectionRecreateEventListener;
import org.hibernate.event.spi.PostCollectionRemoveEvent;
import org.hibernate.event.spi.PostCollectionRemoveEventListener;
import org.hibernate.event.spi.PostCollectionUpdateEvent;
import org.hibernate.event.spi.PostCollectionUpdateEventListener;
import org.hibernate.event.spi.PostDeleteEvent;
import org.hibernate.event.spi.PostDeleteEventListener;
import org.hibernate.event.spi.PostInsertEvent;
import org.hibernate.event.spi.PostInsertEventListener;
import org.hibernate.event.spi.PostUpdateEvent;
import org.hibernate.event.spi.PostUpdateEventListener;
import org.hibernate.event.spi.PostUpsertEvent;
import org.hibernate.event.spi.PostUpsertEventListener;
import org.hibernate.persister.collection.AbstractCollectionPersister;
import org.hibernate.persister.collection.CollectionPersister;
import org.hibernate.persister.entity.AbstractEntityPersister;
import org.hibernate.persister.entity.EntityPersister;
import org.hibernate.persister.entity.mutation.EntityTableMapping;

import java.io.Serializable;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Hibernate's post-insert/update/delete/upsert and collection events, turned into row changes of the current
 * transaction's {@link TxBuffer}: one change per table of the entity (joined inheritance, secondary tables) keyed
 * by that table's key columns, and one change per owner for element collections and join tables.
 */
final class CaptureListener implements PostInsertEventListener, PostUpdateEventListener, PostDeleteEventListener,
        PostUpsertEventListener, PostCollectionRecreateEventListener, PostCollectionUpdateEventListener,
        PostCollectionRemoveEventListener {

    /**
     * An entity event's session: {@code AbstractEvent.getSession()} returns {@code SharedSessionContractImplementor} in
     * Hibernate 7.x and {@code EventSource} in 6.6, so a call compiled against one line would not link on the other;
     * the handle is bound to whichever this runtime has.
     */
    private static final MethodHandle SESSION = sessionGetter();

    private final MirrorRuntime runtime;
    /** Each table's key column names, in the order of the id's JDBC values (read once per table, not per event). */
    private final Map<EntityTableMapping, List<String>> keyColumns = new java.util.concurrent.ConcurrentHashMap<>();

    CaptureListener(MirrorRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public void onPostInsert(PostInsertEvent event) {
        entity(session(event), event.getPersister(), event.getId(), 'I');
    }

    @Override
    public void onPostUpdate(PostUpdateEvent event) {
        entity(session(event), event.getPersister(), event.getId(), 'U');
    }

    @Override
    public void onPostUpsert(PostUpsertEvent event) {
        entity(session(event), event.getPersister(), event.getId(), 'I');
    }

    @Override
    public void onPostDelete(PostDeleteEvent event) {
        entity(session(event), event.getPersister(), event.getId(), 'D');
    }

    private static MethodHandle sessionGetter() {
        try {
            Class<?> returned = AbstractEvent.class.getMethod("getSession").getReturnType();
            return MethodHandles.publicLookup().findVirtual(AbstractEvent.class, "getSession", MethodType.methodType(returned))
                    .asType(MethodType.methodType(SharedSessionContractImplementor.class, AbstractEvent.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static SharedSessionContractImplementor session(AbstractEvent event) {
        try {
            return (SharedSessionContractImplementor) SESSION.invokeExact(event);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean requiresPostCommitHandling(EntityPersister persister) {
        return false;
    }

    @Override
    public void onPostRecreateCollection(PostCollectionRecreateEvent event) {
        collection(event);
    }

    @Override
    public void onPostUpdateCollection(PostCollectionUpdateEvent event) {
        collection(event);
    }

    @Override
    public void onPostRemoveCollection(PostCollectionRemoveEvent event) {
        collection(event);
    }

    private void entity(SharedSessionContractImplementor session, EntityPersister persister, Object id, char op) {
        if (!runtime.mirrors(persister.getEntityName())) {
            return;
        }
        TxBuffer buffer = runtime.buffer(session);
        if (buffer != null) {
            addEntity(buffer, session, persister, id, op);
        }
    }

    private void addEntity(TxBuffer buffer, SharedSessionContractImplementor session, EntityPersister persister,
                                  Object id, char op) {
        if (!(persister instanceof AbstractEntityPersister aep)) {
            return;
        }
        List<EntityTableMapping> tables = new ArrayList<>(2);
        if (op == 'D') {
            aep.forEachMutableTableReverse(tables::add);
        } else {
            aep.forEachMutableTable(tables::add);
        }
        for (EntityTableMapping table : tables) {
            if (table.isInverse()) {
                continue;
            }
            // the table's key columns (a joined subclass table names its own) take the id's JDBC values in order
            List<String> columns = keyColumns.computeIfAbsent(table, t -> {
                List<String> names = new ArrayList<>(1);
                t.getKeyDetails().forEachKeyColumn((position, column) -> names.add(column.getColumnName()));
                return List.copyOf(names);
            });
            KeyJson key = new KeyJson();
            aep.getIdentifierMapping().breakDownJdbcValues(id, (index, value, selectable) -> key.put(
                    index < columns.size() ? columns.get(index) : selectable.getSelectionExpression(), value), session);
            buffer.add(table.getTableName(), op, key.toString());
        }
    }

    private void collection(AbstractCollectionEvent event) {
        PersistentCollection<?> collection = event.getCollection();
        SharedSessionContractImplementor session = event.getSession();
        CollectionPersister persister = persister(collection, session);
        if (persister == null) {
            return;
        }
        if (persister.isInverse() || !runtime.mirrors(event.getAffectedOwnerEntityName())) {
            return;
        }
        TxBuffer buffer = runtime.buffer(session);
        if (buffer == null) {
            return;
        }
        if (persister.isOneToMany()) {
            // the collection lives in the children's foreign key: journal the children whose row it changed
            EntityPersister child = session.getFactory().getMappingMetamodel().getEntityDescriptor(
                    ((org.hibernate.type.EntityType) persister.getElementType()).getAssociatedEntityName());
            for (Iterator<?> it = collection.entries(persister); it.hasNext(); ) {
                childRow(buffer, session, child, it.next());
            }
            Serializable snapshot = collection.getStoredSnapshot();
            if (snapshot != null) {
                for (Object orphan : collection.getOrphans(snapshot, child.getEntityName())) {
                    childRow(buffer, session, child, orphan);
                }
            }
            return;
        }
        Object key = collection.getKey() != null ? collection.getKey() : event.getAffectedOwnerIdOrNull();
        if (key == null || !(persister instanceof AbstractCollectionPersister acp)) {
            return;
        }
        KeyJson json = new KeyJson();
        acp.getAttributeMapping().getKeyDescriptor().getKeyPart().breakDownJdbcValues(key,
                (index, value, selectable) -> json.put(selectable.getSelectionExpression(), value), session);
        buffer.add(acp.getTableName(), 'C', json.toString());
    }

    /**
     * The collection's persister: by its role, or (Hibernate 6.6, where a collection being recreated has none yet) by
     * its entry in the persistence context.
     */
    private static CollectionPersister persister(PersistentCollection<?> collection, SharedSessionContractImplementor session) {
        if (collection.getRole() != null) {
            return session.getFactory().getMappingMetamodel().getCollectionDescriptor(collection.getRole());
        }
        org.hibernate.engine.spi.CollectionEntry entry = session.getPersistenceContextInternal().getCollectionEntry(collection);
        if (entry == null) {
            return null;
        }
        return entry.getCurrentPersister() != null ? entry.getCurrentPersister() : entry.getLoadedPersister();
    }

    private void childRow(TxBuffer buffer, SharedSessionContractImplementor session, EntityPersister child,
                                 Object element) {
        if (element instanceof Map.Entry<?, ?> entry) {
            element = entry.getValue();
        }
        if (element == null) {
            return;
        }
        Object id = session.getContextEntityIdentifier(element);
        if (id == null) {
            id = child.getIdentifier(element, session);
        }
        if (id != null) {
            addEntity(buffer, session, child, id, 'U');
        }
    }
}
