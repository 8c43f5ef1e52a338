package io.dbredundancy.hibernate.mirror.model;

import jakarta.persistence.*;

import java.math.BigDecimal;

/** Single-table inheritance. */
@Entity
@Inheritance(strategy = InheritanceType.SINGLE_TABLE)
@DiscriminatorColumn(name = "kind")
public abstract class Payment {
    @Id
    @GeneratedValue
    public Long id;
    public BigDecimal amount;
}
