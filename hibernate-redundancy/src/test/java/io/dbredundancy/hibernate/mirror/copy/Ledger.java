package io.dbredundancy.hibernate.mirror.copy;

import jakarta.persistence.CollectionTable;
import jakarta.persistence.Column;
import jakarta.persistence.ElementCollection;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;

import java.util.ArrayList;
import java.util.List;

/** The owner of a {@code List} element collection: Hibernate gives its table no primary key and no index. */
@Entity
public class Ledger {
    @Id
    @GeneratedValue
    public Long id;
    @ElementCollection
    @CollectionTable(name = "ledger_line", joinColumns = @JoinColumn(name = "ledger_id"))
    @Column(name = "line")
    public List<String> lines = new ArrayList<>();
}
