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
}
