package io.dbredundancy.benchmarks.mirror;

import io.dbredundancy.hibernate.testbed.PgServer;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The lag of PostgreSQL's logical replication as a writer sees it, for the sides without a journal ({@code native},
 * {@code unfenced}, {@code bare}): while a slice runs, a probe commits one row update every 10 ms on the primary
 * ({@code bench_probe}, published with the side's tables) and a reader polls the secondary every 2 ms; a sample is
 * the time from the update's commit returning to the reader seeing it (the poll adds up to 2 ms). The probe's
 * transactions go through the same server and the same subscription as the load.
 */
final class ReplicationProbe {

    static final String DDL = "CREATE TABLE IF NOT EXISTS bench_probe (id int PRIMARY KEY, token bigint NOT NULL)";

    private final PgServer primary;
    private final PgServer secondary;
    private final String database;
    private final long[] samples = new long[1 << 16];
    private int size;

    ReplicationProbe(PgServer primary, PgServer secondary, String database) {
        this.primary = primary;
        this.secondary = secondary;
        this.database = database;
    }

    /** Creates the probe's table and row on {@code server} (before the publication is set up). */
    static void prepare(PgServer server, String database) throws SQLException {
        try (Connection c = server.connect(database); Statement st = c.createStatement()) {
            st.execute(DDL);
            st.execute("INSERT INTO bench_probe VALUES (1, 0) ON CONFLICT (id) DO NOTHING");
        }
    }

    /** Runs {@code load} with the probe going; returns the lag samples (ms) taken meanwhile. */
    long[] during(Runnable load) throws InterruptedException {
        ConcurrentHashMap<Long, Long> committed = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        size = 0;
        Thread writer = new Thread(() -> write(committed, stop), "bench-probe-writer");
        Thread reader = new Thread(() -> read(committed, stop), "bench-probe-reader");
        writer.setDaemon(true);
        reader.setDaemon(true);
        writer.start();
        reader.start();
        try {
            load.run();
        } finally {
            stop.set(true);
            writer.join(5000);
            reader.join(5000);
        }
        return java.util.Arrays.copyOf(samples, size);
    }

    private void write(ConcurrentHashMap<Long, Long> committed, AtomicBoolean stop) {
        try (Connection c = primary.connect(database);
             PreparedStatement ps = c.prepareStatement("UPDATE bench_probe SET token = ? WHERE id = 1")) {
            long token = System.nanoTime();
            while (!stop.get()) {
                token++;
                ps.setLong(1, token);
                ps.executeUpdate();
                committed.put(token, System.nanoTime());
                Thread.sleep(10);
            }
        } catch (SQLException | InterruptedException e) {
            // the slice ends
        }
    }

    private void read(ConcurrentHashMap<Long, Long> committed, AtomicBoolean stop) {
        try (Connection c = secondary.connect(database);
             PreparedStatement ps = c.prepareStatement("SELECT token FROM bench_probe WHERE id = 1")) {
            long last = -1;
            // one more second after the load: the last updates arrive
            long tail = Long.MAX_VALUE;
            while (System.nanoTime() < tail) {
                if (stop.get() && tail == Long.MAX_VALUE) {
                    tail = System.nanoTime() + 1_000_000_000L;
                }
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        long token = rs.getLong(1);
                        Long at = committed.remove(token);
                        if (token != last && at != null && size < samples.length) {
                            samples[size++] = Math.max(0, (System.nanoTime() - at) / 1_000_000);
                        }
                        last = token;
                    }
                }
                Thread.sleep(2);
            }
        } catch (SQLException | InterruptedException e) {
            // the slice ends
        }
    }
}
