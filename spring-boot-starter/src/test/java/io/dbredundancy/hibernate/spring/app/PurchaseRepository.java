package io.dbredundancy.hibernate.spring.app;

import org.springframework.data.jpa.repository.JpaRepository;

public interface PurchaseRepository extends JpaRepository<Purchase, Long> {

    long countByItemStartingWith(String prefix);
}
