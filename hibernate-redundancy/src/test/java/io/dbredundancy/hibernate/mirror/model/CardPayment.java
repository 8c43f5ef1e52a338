package io.dbredundancy.hibernate.mirror.model;

import jakarta.persistence.Entity;

@Entity
public class CardPayment extends Payment {
    public String cardLast4;
}
