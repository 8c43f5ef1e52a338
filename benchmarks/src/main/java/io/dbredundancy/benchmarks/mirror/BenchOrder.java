package io.dbredundancy.benchmarks.mirror;

import jakarta.persistence.CascadeType;
import jakarta.persistence.CollectionTable;
import jakarta.persistence.ElementCollection;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.OneToMany;
import jakarta.persistence.Table;
import jakarta.persistence.Version;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The order of {@link Workload#ORDERS}: sequence id (pooled, 50), a version, lines as a cascaded one-to-many and tags
 * as an element collection (table {@code bench_order_tag}).
 */
@Entity
@Table(name = "bench_order")
public class BenchOrder {
    @Id
    @GeneratedValue(strategy = GenerationType.SEQUENCE)
    public Long id;
    @Version
    public int version;
    public String customer;
    public String status;
    @OneToMany(mappedBy = "order", cascade = CascadeType.ALL, orphanRemoval = true)
    public List<BenchOrderLine> lines = new ArrayList<>();
    @ElementCollection
    @CollectionTable(name = "bench_order_tag")
    public Set<String> tags = new HashSet<>();

    /** Adds {@code line} to this order, both ends of the association set. */
    public void add(BenchOrderLine line) {
        line.order = this;
        lines.add(line);
    }
}
