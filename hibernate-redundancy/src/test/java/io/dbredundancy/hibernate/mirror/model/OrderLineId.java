package io.dbredundancy.hibernate.mirror.model;

import jakarta.persistence.Embeddable;

import java.io.Serializable;
import java.util.Objects;

@Embeddable
public class OrderLineId implements Serializable {
    public Long orderId;
    public int lineNo;

    public OrderLineId() {
    }

    public OrderLineId(Long orderId, int lineNo) {
        this.orderId = orderId;
        this.lineNo = lineNo;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OrderLineId other && Objects.equals(orderId, other.orderId) && lineNo == other.lineNo;
    }

    @Override
    public int hashCode() {
        return Objects.hash(orderId, lineNo);
    }
}
