package io.dbredundancy.hibernate.mirror.copy;

import jakarta.persistence.CollectionTable;
import jakarta.persistence.Column;
import jakarta.persistence.ElementCollection;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;

import java.util.HashSet;
import java.util.Set;

/** An unversioned owner of an element collection. */
@Entity
public class Basket {
    @Id
    @GeneratedValue
    public Long id;
    public String name;
    @ElementCollection
    @CollectionTable(name = "basket_item", joinColumns = @JoinColumn(name = "basket_id"))
    @Column(name = "item")
    public Set<String> items = new HashSet<>();
}
