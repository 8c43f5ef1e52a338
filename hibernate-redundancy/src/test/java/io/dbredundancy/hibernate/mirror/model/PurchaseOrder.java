package io.dbredundancy.hibernate.mirror.model;

import jakarta.persistence.*;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Identity id, many-to-one, bidirectional one-to-many (inverse side). */
@Entity
public class PurchaseOrder {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @ManyToOne
    public Customer customer;
    public BigDecimal total;
    public Instant placedAt;
    @OneToMany(mappedBy = "order", cascade = CascadeType.ALL, orphanRemoval = true)
    public List<OrderLine> lines = new ArrayList<>();
}
