package io.dbredundancy.demo.orders;

import io.dbredundancy.demo.Database;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/** Orders and customers, one transaction per call. */
@ApplicationScoped
public class OrderService {

    @Inject
    Database database;

    private final AtomicLong created = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    /** An order line as the API takes and shows it. */
    public record Line(String sku, int quantity, BigDecimal unitPrice) {
    }

    /** What POST /api/orders takes. */
    public record NewOrder(String customerName, String customerEmail, List<Line> items) {
    }

    /** An order as the API shows it. */
    public record View(long id, String orderNo, long customerId, String customerName, String customerEmail, String status,
                       BigDecimal total, long version, String createdAt, List<Line> items) {

        static View of(Order o) {
            return new View(o.getId(), o.getOrderNo(), o.getCustomer().getId(), o.getCustomer().getName(),
                    o.getCustomer().getEmail(), o.getStatus(), o.getTotal(), o.getVersion(),
                    String.valueOf(o.getCreatedAt()),
                    o.getItems().stream().map(i -> new Line(i.getSku(), i.getQuantity(), i.getUnitPrice())).toList());
        }
    }

    public View create(NewOrder request) {
        validate(request);
        try {
            View v = database.inTransaction(em -> {
                List<Customer> found = em.createQuery("select c from Customer c where c.email = :e", Customer.class)
                        .setParameter("e", request.customerEmail()).getResultList();
                Customer customer = found.isEmpty() ? null : found.get(0);
                if (customer == null) {
                    customer = new Customer(request.customerName() == null ? request.customerEmail() : request.customerName(),
                            request.customerEmail());
                    em.persist(customer);
                }
                Order order = new Order(customer);
                for (Line l : request.items()) {
                    order.addItem(l.sku(), l.quantity(), l.unitPrice());
                }
                em.persist(order);
                em.flush();
                return View.of(order);
            });
            created.incrementAndGet();
            return v;
        } catch (RuntimeException e) {
            failed.incrementAndGet();
            throw e;
        }
    }

    public List<View> recent(int limit) {
        return database.inTransaction(em -> em.createQuery(
                        "select o from Order o join fetch o.customer order by o.id desc", Order.class)
                .setMaxResults(limit).getResultList().stream().map(View::of).toList());
    }

    public Optional<View> find(long id) {
        return database.inTransaction(em -> Optional.ofNullable(em.find(Order.class, id)).map(View::of));
    }

    public Optional<View> updateStatus(long id, String status) {
        if (status == null || !status.matches("[A-Z_]{1,20}")) {
            throw new IllegalArgumentException("status must be 1-20 upper-case letters, e.g. SHIPPED");
        }
        return database.inTransaction(em -> {
            Order o = em.find(Order.class, id);
            if (o == null) {
                return Optional.empty();
            }
            o.setStatus(status);
            em.flush();
            return Optional.of(View.of(o));
        });
    }

    public boolean delete(long id) {
        return database.inTransaction(em -> {
            Order o = em.find(Order.class, id);
            if (o == null) {
                return false;
            }
            em.remove(o);
            return true;
        });
    }

    public long count() {
        return database.inTransaction(em -> em.createQuery("select count(o) from Order o", Long.class).getSingleResult());
    }

    /** Orders committed by this app instance since start. */
    public long created() {
        return created.get();
    }

    /** Order writes that failed since start. */
    public long failed() {
        return failed.get();
    }

    private static void validate(NewOrder r) {
        if (r == null || r.customerEmail() == null || r.customerEmail().isBlank()) {
            throw new IllegalArgumentException("customerEmail is required");
        }
        if (r.items() == null || r.items().isEmpty()) {
            throw new IllegalArgumentException("items must hold at least one line");
        }
        for (Line l : r.items()) {
            if (l.sku() == null || l.sku().isBlank() || l.quantity() <= 0 || l.unitPrice() == null
                    || l.unitPrice().signum() < 0) {
                throw new IllegalArgumentException("each item needs a sku, a quantity > 0 and a unitPrice >= 0");
            }
        }
    }
}
