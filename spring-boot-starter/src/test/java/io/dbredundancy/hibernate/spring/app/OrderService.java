package io.dbredundancy.hibernate.spring.app;

import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class OrderService {

    private final PurchaseRepository purchases;

    public OrderService(PurchaseRepository purchases) {
        this.purchases = purchases;
    }

    /** Two rows in one transaction. */
    @Transactional
    public Long order(String item, int quantity) {
        Purchase p = purchases.save(new Purchase(item, quantity));
        purchases.save(new Purchase(item + "-gift", 1));
        return p.getId();
    }
}
