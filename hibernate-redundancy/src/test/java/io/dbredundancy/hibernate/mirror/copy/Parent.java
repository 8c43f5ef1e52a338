package io.dbredundancy.hibernate.mirror.copy;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.Id;

@Entity
public class Parent {
    @Id
    @GeneratedValue
    public Long id;
    public String name;
}
