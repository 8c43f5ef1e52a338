package io.dbredundancy.hibernate.mirror.model;

import jakarta.persistence.Entity;

@Entity
public class Truck extends Vehicle {
    public int axles;
}
