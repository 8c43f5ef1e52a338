package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.mirror.copy.Basket;
import io.dbredundancy.hibernate.mirror.copy.Ledger;
import io.dbredundancy.hibernate.testbed.LogCapture;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;

import static io.dbredundancy.hibernate.mirror.MirrorFixture.inTx;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A collection table without an index on its owner column makes every mirrored change of a collection scan it on
 * both databases: the user is told once, with the statement that fixes it, and the mirror still copies.
 */
class CollectionIndexAdviceTest {

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    @Test
    void aCollectionTableWithoutAnOwnerIndexIsNamedOnceWithTheIndexToCreate() throws Exception {
        MirrorUnit.prepare(pg, Ledger.class, Basket.class);
        try (LogCapture logs = LogCapture.start(); MirrorUnit unit = new MirrorUnit(pg, "collection-index", Map.of(),
                Ledger.class, Basket.class)) {
            inTx(unit.sf, s -> {
                Ledger l = new Ledger();
                l.lines.add("first");
                l.lines.add("second");
                s.persist(l);
                Basket b = new Basket();
                b.items.add("apple");
                s.persist(b);
            });
            inTx(unit.sf, s -> {
                Ledger l = s.createQuery("from Ledger", Ledger.class).getSingleResult();
                l.lines.add("third");
            });
            unit.awaitIdentical(10);
            assertThat(logs.linesContaining("has no index on its owner column"))
                    .singleElement().asString()
                    .contains("ledger_line", "ledger_id", "CREATE INDEX ON ledger_line (ledger_id)");
            // a Set's table has a primary key that starts with the owner column: nothing to say
            assertThat(logs.text()).doesNotContain("Collection table basket_item");
        }
    }
}
