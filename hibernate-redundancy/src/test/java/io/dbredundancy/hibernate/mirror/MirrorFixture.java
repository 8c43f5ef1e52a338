package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.mirror.model.*;
import org.hibernate.Session;
import org.hibernate.SessionFactory;

import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Helpers shared by the mirror tests. */
final class MirrorFixture {

    static final Class<?>[] MODEL = {Customer.class, PurchaseOrder.class, OrderLine.class, Product.class,
            Category.class, Payment.class, CardPayment.class, CashPayment.class, Vehicle.class, Truck.class,
            Folder.class, Note.class, Marked.class};

    private MirrorFixture() {
    }

    static void inTx(SessionFactory sf, Consumer<Session> work) {
        try (Session s = sf.openSession()) {
            s.beginTransaction();
            try {
                work.accept(s);
                s.getTransaction().commit();
            } catch (RuntimeException e) {
                if (s.getTransaction().isActive()) {
                    s.getTransaction().rollback();
                }
                throw e;
            }
        }
    }

    static <T> T get(SessionFactory sf, Function<Session, T> work) {
        Object[] out = new Object[1];
        inTx(sf, (Consumer<Session>) s -> out[0] = work.apply(s));
        @SuppressWarnings("unchecked") T t = (T) out[0];
        return t;
    }

    /** Both databases hold the same rows in every application table, within {@code seconds}. */
    static void awaitIdentical(TwoServers servers, int seconds) {
        await().atMost(Duration.ofSeconds(seconds)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .untilAsserted(() -> {
                    Map<String, String> p = servers.snapshot(Node.PRIMARY);
                    Map<String, String> s = servers.snapshot(Node.SECONDARY);
                    if (!s.equals(p)) {
                        StringBuilder diff = new StringBuilder("databases differ:");
                        for (String t : p.keySet()) {
                            if (!p.get(t).equals(s.get(t))) {
                                diff.append(' ').append(t).append(" (primary ").append(p.get(t).length())
                                        .append(" chars, secondary ").append(s.get(t) == null ? "missing" : s.get(t).length() + " chars").append(')');
                            }
                        }
                        throw new AssertionError(diff.toString());
                    }
                });
    }
}
