package io.dbredundancy.hibernate.mirror.copy;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.Id;
import jakarta.persistence.ManyToOne;

@Entity
public class Child {
    @Id
    @GeneratedValue
    public Long id;
    public String name;
    @ManyToOne
    public Parent parent;

    /**
     * One transaction: persists a child, flushes, persists its parent, flushes, then sets the child's parent (the
     * child's row is inserted before the row it ends up referring to).
     */
    public static void withParentInALaterFlush(org.hibernate.SessionFactory sf) {
        sf.inTransaction(s -> {
            Child child = new Child();
            child.name = "early";
            s.persist(child);
            s.flush();
            Parent parent = new Parent();
            parent.name = "late";
            s.persist(parent);
            s.flush();
            child.parent = parent;
        });
    }
}
