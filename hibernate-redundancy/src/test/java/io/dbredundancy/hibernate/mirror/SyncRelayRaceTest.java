package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.RedundancySettings;
import io.dbredundancy.hibernate.mirror.race.Tally;
import io.dbredundancy.hibernate.sync.SyncOptions;
import io.dbredundancy.hibernate.sync.SyncService;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import io.dbredundancy.hibernate.testbed.Seed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.dbredundancy.hibernate.mirror.MirrorFixture.inTx;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The sync's rewrites of the standby never race the relay: while an application commits changes the relay applies,
 * {@code repair} (as the command line runs it: its own connections) rewrites the standby's chunks again and again, each
 * with a pause between its read of the primary and its write of the secondary; no row ends with an older value than
 * the primary's. The writes are random under a fixed seed ({@link Seed}: another with {@code -Dmirror.race.seed=…}),
 * printed on failure.
 */
@org.junit.jupiter.api.Tag("data-integrity")
class SyncRelayRaceTest {

    static final int ROWS = 400;

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    static MirrorUnit unit;

    @RegisterExtension
    final Seed seed = new Seed("mirror.race.seed");

    @BeforeAll
    static void start() {
        MirrorUnit.prepare(pg, Tally.class);
        unit = new MirrorUnit(pg, "sync-relay-race", Map.of(), Tally.class);
    }

    @AfterAll
    static void stop() {
        if (unit != null) {
            unit.close();
        }
    }

    @Test
    void aRepairRunningWhileTheRelayAppliesRevertsNoRow() throws Exception {
        String context = seed.toString();
        Random random = new Random(seed.value());
        inTx(unit.sf, s -> {
            for (long id = 1; id <= ROWS; id++) {
                Tally t = new Tally();
                t.id = id;
                s.persist(t);
            }
        });
        unit.awaitIdentical(20);
        SyncService sync = SyncService.of(RedundancyConfig.from(Map.of(
                RedundancySettings.PRIMARY_URL, pg.primary().jdbcUrl(MirrorUnit.DB),
                RedundancySettings.PRIMARY_USER, pg.primary().user(),
                RedundancySettings.PRIMARY_PASSWORD, pg.primary().password(),
                RedundancySettings.SECONDARY_URL, pg.secondary().jdbcUrl(MirrorUnit.DB),
                RedundancySettings.SECONDARY_USER, pg.secondary().user(),
                RedundancySettings.SECONDARY_PASSWORD, pg.secondary().password()), Map.of()));
        SyncOptions options = SyncOptions.defaults().withTables(List.of("tally")).withChunkRows(50);
        long appliedBefore = unit.mirror().stats().appliedTotal();
        AtomicBoolean writing = new AtomicBoolean(true);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        long seedWriter = random.nextLong();
        Future<Integer> writer = pool.submit(() -> {
            Random r = new Random(seedWriter);
            int commits = 0;
            while (writing.get()) {
                inTx(unit.sf, s -> {
                    for (int i = 0; i < 5; i++) {
                        s.find(Tally.class, 1L + r.nextInt(ROWS)).amount++;
                    }
                });
                commits++;
            }
            return commits;
        });
        int repairs = 0;
        long rewritten = 0;
        System.setProperty("io.dbredundancy.sync.repairDelayMs", "30");
        try {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
            while (System.nanoTime() < end) {
                // writes that bypassed the mirror: a few stale rows on the standby, so the repair has chunks to rewrite
                try (Connection c = pg.secondary().connect(MirrorUnit.DB); Statement st = c.createStatement()) {
                    st.execute("update tally set amount = -1 where id in (" + (1 + random.nextInt(ROWS)) + ", "
                            + (1 + random.nextInt(ROWS)) + ")");
                }
                rewritten += sync.repair(Node.SECONDARY, options).rows();
                repairs++;
            }
        } finally {
            System.clearProperty("io.dbredundancy.sync.repairDelayMs");
            writing.set(false);
        }
        int commits = writer.get(30, TimeUnit.SECONDS);
        pool.shutdown();
        context += ", " + commits + " commits, " + repairs + " repairs rewriting " + rewritten + " rows";
        assertThat(unit.mirror().stats().appliedTotal() - appliedBefore).as("relay applied meanwhile; " + context)
                .isGreaterThan(0);
        assertThat(repairs).as(context).isGreaterThan(3);

        String ctx = context;
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> unit.mirror().stats().pending() == 0);
        Map<Long, Long> primary = amounts(Node.PRIMARY);
        Map<Long, Long> secondary = amounts(Node.SECONDARY);
        Map<Long, String> reverted = new TreeMap<>();
        primary.forEach((id, v) -> {
            Long w = secondary.get(id);
            if (w == null || w.longValue() != v) {
                reverted.put(id, "primary " + v + ", secondary " + w);
            }
        });
        assertThat(reverted).as("rows the standby holds an older value of; " + ctx).isEmpty();
    }

    private static Map<Long, Long> amounts(Node n) throws SQLException {
        Map<Long, Long> out = new TreeMap<>();
        try (Connection c = unit.server(n).connect(MirrorUnit.DB); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select id, amount from tally")) {
            while (rs.next()) {
                out.put(rs.getLong(1), rs.getLong(2));
            }
        }
        return out;
    }
}
