package io.dbredundancy.benchmarks.mirror;

import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;

import java.math.BigDecimal;

/** A line of a {@link BenchOrder}: sequence id (pooled, 50), the owning order, a product, a quantity and a price. */
@Entity
@Table(name = "bench_order_line")
public class BenchOrderLine {
    @Id
    @GeneratedValue(strategy = GenerationType.SEQUENCE)
    public Long id;
    @ManyToOne(fetch = FetchType.LAZY, optional = false)
    public BenchOrder order;
    public String product;
    public int qty;
    public BigDecimal price;
}
