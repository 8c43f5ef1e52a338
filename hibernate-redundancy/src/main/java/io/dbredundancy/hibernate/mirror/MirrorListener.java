package io.dbredundancy.hibernate.mirror;

import jakarta.persistence.PostPersist;
import jakarta.persistence.PostRemove;
import jakarta.persistence.PostUpdate;

/**
 * The JPA route: {@code @EntityListeners(MirrorListener.class)} on an entity (or a superclass) marks it for
 * mirroring. With {@code hibernate.redundancy.mirror.scope=annotated} only marked entities (and their
 * collections) are mirrored; with {@code all} (the default) every entity is, marked or not.
 * <p>
 * The capture itself happens in Hibernate's post-insert/update/delete events, in the same transaction; JPA
 * callbacks receive only the entity and could not journal atomically, so this class does nothing at run time.
 */
public class MirrorListener {

    @PostPersist
    @PostUpdate
    @PostRemove
    void mirrored(Object entity) {
        // the marker is what matters; the change is journaled by the plugin's Hibernate event listeners
    }
}
