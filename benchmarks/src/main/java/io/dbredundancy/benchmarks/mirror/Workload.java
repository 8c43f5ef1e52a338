package io.dbredundancy.benchmarks.mirror;

import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;

import java.math.BigDecimal;
import java.util.Random;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/** What one writer thread does per iteration: two transactions, a write of new rows and an update of one of them. */
enum Workload {

    /** Insert a small versioned {@link BenchItem}, then update its quantity. */
    ITEMS("items", "insert a small versioned entity, then update it") {
        @Override
        void iterate(EntityManagerFactory emf, Random random, LongAdder committed) {
            BenchItem item = new BenchItem();
            item.name = "item";
            item.qty = 1;
            inTx(emf, committed, em -> em.persist(item));
            inTx(emf, committed, em -> em.find(BenchItem.class, item.id).qty = 2);
        }
    },

    /** Insert a {@link BenchOrder} with 5 lines (cascade) and 2-3 tags (element collection), then update its status. */
    ORDERS("orders", "insert an order with 5 lines and 2-3 tags, then update its status") {
        private static final String[] TAGS = {"gift", "express", "b2b", "fragile", "promo", "repeat", "eu", "wholesale"};

        @Override
        void iterate(EntityManagerFactory emf, Random random, LongAdder committed) {
            BenchOrder order = new BenchOrder();
            order.customer = "customer-" + random.nextInt(10_000);
            order.status = "NEW";
            int tags = 2 + random.nextInt(2);
            while (order.tags.size() < tags) {
                order.tags.add(TAGS[random.nextInt(TAGS.length)]);
            }
            for (int i = 0; i < 5; i++) {
                BenchOrderLine line = new BenchOrderLine();
                line.product = "product-" + random.nextInt(1_000);
                line.qty = 1 + random.nextInt(9);
                line.price = BigDecimal.valueOf(100 + random.nextInt(99_900), 2);
                order.add(line);
            }
            inTx(emf, committed, em -> em.persist(order));
            inTx(emf, committed, em -> em.find(BenchOrder.class, order.id).status = "PAID");
        }
    };

    /** Transactions per {@link #iterate} call. */
    static final int TX_PER_ITERATION = 2;

    private final String id;
    private final String description;

    Workload(String id, String description) {
        this.id = id;
        this.description = description;
    }

    String id() {
        return id;
    }

    String description() {
        return description;
    }

    /** One iteration: {@link #TX_PER_ITERATION} transactions, each committed (and counted) before the next begins. */
    abstract void iterate(EntityManagerFactory emf, Random random, LongAdder committed);

    static Workload byId(String id) {
        for (Workload w : values()) {
            if (w.id.equals(id)) {
                return w;
            }
        }
        throw new IllegalArgumentException("mirror.workloads: unknown workload '" + id + "'; use items, orders or both (items,orders)");
    }

    private static void inTx(EntityManagerFactory emf, LongAdder committed, Consumer<EntityManager> work) {
        EntityManager em = emf.createEntityManager();
        try {
            em.getTransaction().begin();
            work.accept(em);
            em.getTransaction().commit();
            committed.increment();
        } finally {
            if (em.getTransaction().isActive()) {
                em.getTransaction().rollback();
            }
            em.close();
        }
    }
}
