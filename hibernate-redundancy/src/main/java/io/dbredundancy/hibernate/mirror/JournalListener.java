package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.Node;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.Statement;

/**
 * Holds {@code LISTEN redundancy_journal} on one database and wakes that database's relay when any application
 * instance commits journal rows there (the journal's statement trigger notifies). Reconnects when the database
 * returns.
 */
final class JournalListener implements Runnable {

    private final Node node;
    private final MirrorRuntime runtime;
    private final Relay relay;
    private volatile boolean running = true;
    private volatile Connection connection;
    private Thread thread;

    JournalListener(Node node, MirrorRuntime runtime, Relay relay) {
        this.node = node;
        this.runtime = runtime;
        this.relay = relay;
    }

    void start() {
        thread = new Thread(this, "db-redundancy-mirror-listen-" + node.id());
        thread.setDaemon(true);
        thread.start();
    }

    void stop() {
        running = false;
        Connection c = connection;
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing to unblock the wait
            }
        }
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void run() {
        while (running) {
            try (Connection c = runtime.host().dataSource(node).getConnection()) {
                connection = c;
                c.setAutoCommit(true);
                try (Statement st = c.createStatement()) {
                    st.execute("LISTEN redundancy_journal");
                }
                PGConnection pg = c.unwrap(PGConnection.class);
                relay.wake(); // whatever was journaled while we were not listening
                while (running) {
                    PGNotification[] n = pg.getNotifications(5_000);
                    if (n != null && n.length > 0) {
                        relay.wake();
                    }
                }
            } catch (Exception e) {
                connection = null;
                if (!running) {
                    return;
                }
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }
}
