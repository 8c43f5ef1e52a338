package io.dbredundancy.hibernate.spring.boot3.app;

import org.springframework.boot.autoconfigure.SpringBootApplication;

/** A small Boot application: one entity, a Spring Data repository, a transactional service. */
@SpringBootApplication
public class OrdersApp {
}
