package io.dbredundancy.hibernate.mirror.copy;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.Id;
import jakarta.persistence.ManyToOne;
import org.hibernate.annotations.OnDelete;
import org.hibernate.annotations.OnDeleteAction;

/** A row the database deletes with its parent (ON DELETE CASCADE): Hibernate never sees that delete. */
@Entity
public class Leaf {
    @Id
    @GeneratedValue
    public Long id;
    @ManyToOne(optional = false)
    @OnDelete(action = OnDeleteAction.CASCADE)
    public Parent parent;
}
