package io.dbredundancy.hibernate.mirror.model;

import jakarta.persistence.Entity;

@Entity
public class CashPayment extends Payment {
    public String till;
}
