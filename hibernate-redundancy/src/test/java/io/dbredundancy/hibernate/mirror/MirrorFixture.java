package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.mirror.model.*;
import org.hibernate.Session;
import org.hibernate.SessionFactory;

import java.util.function.Consumer;
import java.util.function.Function;


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

}
