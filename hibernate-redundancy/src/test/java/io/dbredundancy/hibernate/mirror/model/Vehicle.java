package io.dbredundancy.hibernate.mirror.model;

import jakarta.persistence.*;

/** Joined inheritance. */
@Entity
@Inheritance(strategy = InheritanceType.JOINED)
public class Vehicle {
    @Id
    @GeneratedValue
    public Long id;
    public String plate;
}
