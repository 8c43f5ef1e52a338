package io.dbredundancy.hibernate.mirror.model;

import jakarta.persistence.*;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

/** UUID id, many-to-many (join table). */
@Entity
public class Product {
    @Id
    public UUID id = UUID.randomUUID();
    public String name;
    @ManyToMany
    public Set<Category> categories = new HashSet<>();
}
