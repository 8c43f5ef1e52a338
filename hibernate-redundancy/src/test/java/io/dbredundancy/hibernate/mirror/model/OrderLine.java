package io.dbredundancy.hibernate.mirror.model;

import jakarta.persistence.*;

/** Composite embedded id with a relationship mapped onto part of it. */
@Entity
public class OrderLine {
    @EmbeddedId
    public OrderLineId id;
    @ManyToOne
    @MapsId("orderId")
    public PurchaseOrder order;
    public String product;
    public int quantity;
}
