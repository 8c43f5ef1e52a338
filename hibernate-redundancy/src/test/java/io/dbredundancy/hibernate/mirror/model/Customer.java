package io.dbredundancy.hibernate.mirror.model;

import jakarta.persistence.*;
import org.hibernate.annotations.ColumnTransformer;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** Sequence id (pooled, allocationSize 50), @Version, jsonb (as text through a column transformer), @Lob, an element collection. */
@Entity
public class Customer {
    @Id
    @GeneratedValue(strategy = GenerationType.SEQUENCE)
    public Long id;
    @Version
    public int version;
    public String name;
    @Column(columnDefinition = "jsonb")
    @ColumnTransformer(write = "?::jsonb")
    public String attributes;
    @Lob
    public byte[] photo;
    public byte[] thumbnail;
    @ElementCollection
    @CollectionTable(name = "customer_tag")
    public Set<String> tags = new HashSet<>();
    @Embedded
    public Address address;

    public Customer() {
    }

    public Customer(String name) {
        this.name = name;
    }
}
