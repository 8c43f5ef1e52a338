package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.mirror.model.*;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import io.dbredundancy.hibernate.testbed.PostgresPair;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import static io.dbredundancy.hibernate.mirror.MirrorFixture.inTx;
import static io.dbredundancy.hibernate.mirror.MirrorFixture.get;
import static org.assertj.core.api.Assertions.assertThat;

/** Every kind of mapping written through Hibernate arrives identical on the other database. */
@org.junit.jupiter.api.Tag("data-integrity")
class MirrorMappingsTest {

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    static MirrorUnit unit;

    @BeforeAll
    static void start() {
        MirrorUnit.prepare(pg, MirrorFixture.MODEL);
        unit = new MirrorUnit(pg, "mirror-mappings", Map.of(), MirrorFixture.MODEL);
    }

    @AfterAll
    static void stop() {
        if (unit != null) {
            unit.close();
        }
    }

    @Test
    void persistMergeRemoveAndVersionedUpdateArriveIdentical() {
        Long id = get(unit.sf, s -> {
            Customer c = new Customer("Ada");
            c.address = new Address("1 Main St", "Springfield");
            s.persist(c);
            return c.id;
        });
        inTx(unit.sf, s -> {
            Customer c = s.find(Customer.class, id);
            c.name = "Ada Lovelace";
        });
        Customer detached = get(unit.sf, s -> s.find(Customer.class, id));
        detached.name = "Countess";
        inTx(unit.sf, s -> {
            s.merge(detached);
        });
        Long gone = get(unit.sf, s -> {
            Customer c = new Customer("Temp");
            s.persist(c);
            return c.id;
        });
        inTx(unit.sf, s -> {
            s.remove(s.find(Customer.class, gone));
        });
        unit.awaitIdentical(10);
        assertThat(get(unit.sf, s -> s.find(Customer.class, id)).version).isEqualTo(2);
    }

    @Test
    void collectionsOfEveryKindArriveIdentical() throws Exception {
        Long customerId = get(unit.sf, s -> {
            Customer c = new Customer("Grace");
            c.tags.add("vip");
            c.tags.add("early");
            s.persist(c);
            Category a = new Category("A", "Tools");
            Category b = new Category("B", "Books");
            s.persist(a);
            s.persist(b);
            Product p = new Product();
            p.name = "Hammer";
            p.categories.add(a);
            p.categories.add(b);
            s.persist(p);
            PurchaseOrder o = new PurchaseOrder();
            o.customer = c;
            o.total = new BigDecimal("12.50");
            o.placedAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
            s.persist(o);
            s.flush();
            for (int i = 1; i <= 3; i++) {
                OrderLine l = new OrderLine();
                l.id = new OrderLineId(o.id, i);
                l.order = o;
                l.product = "item " + i;
                l.quantity = i;
                o.lines.add(l);
            }
            Folder f = new Folder();
            f.title = "inbox";
            f.notes.add(new Note("one"));
            f.notes.add(new Note("two"));
            s.persist(f);
            return c.id;
        });
        unit.awaitIdentical(10);
        inTx(unit.sf, s -> {
            Customer c = s.find(Customer.class, customerId);
            c.tags.remove("early");
            c.tags.add("loyal");
            Product p = s.createQuery("from Product", Product.class).getSingleResult();
            p.categories.removeIf(cat -> cat.code.equals("A"));
            PurchaseOrder o = s.createQuery("from PurchaseOrder", PurchaseOrder.class).getSingleResult();
            o.lines.remove(0);
            o.lines.get(0).quantity = 42;
            Folder f = s.createQuery("from Folder", Folder.class).getSingleResult();
            f.notes.remove(0);
            f.notes.add(new Note("three"));
        });
        unit.awaitIdentical(10);
        assertThat(unit.snapshot(Node.SECONDARY).get("customer_tag")).contains("loyal").doesNotContain("early");
    }

    @Test
    void inheritanceAndCompositeIdsArriveIdentical() {
        Long truckId = get(unit.sf, s -> {
            CardPayment card = new CardPayment();
            card.amount = new BigDecimal("9.99");
            card.cardLast4 = "4242";
            CashPayment cash = new CashPayment();
            cash.amount = BigDecimal.ONE;
            cash.till = "T1";
            s.persist(card);
            s.persist(cash);
            Truck t = new Truck();
            t.plate = "AB-123";
            t.axles = 3;
            s.persist(t);
            Vehicle v = new Vehicle();
            v.plate = "CAR-1";
            s.persist(v);
            return t.id;
        });
        inTx(unit.sf, s -> {
            Truck t = s.find(Truck.class, truckId);
            t.axles = 4;
            t.plate = "AB-124";
        });
        unit.awaitIdentical(10);
        inTx(unit.sf, s -> {
            s.remove(s.find(Truck.class, truckId));
        });
        unit.awaitIdentical(10);
    }

    @Test
    void lobAndJsonbArriveIdentical() {
        byte[] photo = new byte[70_000];
        for (int i = 0; i < photo.length; i++) {
            photo[i] = (byte) (i * 31);
        }
        Long id = get(unit.sf, s -> {
            Customer c = new Customer("Lob \"quoted\" \\ name");
            c.photo = photo;
            c.thumbnail = new byte[]{0, 1, 2, (byte) 0xff, '\\', '"'};
            c.attributes = "{\"plan\": \"gold\", \"limits\": {\"daily\": 3, \"nested\": [1, 2, 3]}}";
            s.persist(c);
            return c.id;
        });
        unit.awaitIdentical(10);
        try (org.hibernate.Session s = unit.sf.withOptions().tenantIdentifier(Node.SECONDARY.id()).openSession()) {
            s.beginTransaction();
            Customer onSecondary = s.find(Customer.class, id);
            assertThat(onSecondary.photo).isEqualTo(photo);
            assertThat(onSecondary.thumbnail).containsExactly(0, 1, 2, 0xff, '\\', '"');
            assertThat(onSecondary.attributes).contains("\"plan\": \"gold\"").contains("\"nested\": [1, 2, 3]");
        }
    }
}
