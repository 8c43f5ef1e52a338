package io.dbredundancy.hibernate.testbed;

import org.netcrusher.core.reactor.NioReactor;
import org.netcrusher.tcp.TcpCrusher;
import org.netcrusher.tcp.TcpCrusherBuilder;

import java.io.IOException;

/**
 * A netcrusher TCP proxy on 127.0.0.1 in front of one {@link PgServer}: the "network" between the app and
 * that database. {@link #cut()} closes every connection and refuses new ones; {@link #freeze()} keeps the
 * connections open but moves no byte (new connections are accepted by the kernel and then hang);
 * {@link #restore()} brings the link back.
 */
public final class LinkProxy implements AutoCloseable {

    private final PgServer target;
    private final NioReactor reactor;
    private final TcpCrusher crusher;
    private final int port;
    private volatile State state = State.OPEN;

    /** What the link currently does. */
    public enum State { OPEN, CUT, FROZEN, CLOSED }

    LinkProxy(PgServer target) {
        this.target = target;
        Opened opened = open(target);
        this.reactor = opened.reactor();
        this.crusher = opened.crusher();
        this.port = opened.port();
        Cleanup.register(this);
    }

    private record Opened(NioReactor reactor, TcpCrusher crusher, int port) {
    }

    private static Opened open(PgServer target) {
        Exception last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            NioReactor r = null;
            try {
                r = new NioReactor(10);
                int p = PgServer.freePort();
                TcpCrusher c = TcpCrusherBuilder.builder()
                        .withReactor(r)
                        .withBindAddress("127.0.0.1", p)
                        .withConnectAddress(target.host(), target.port())
                        .withTcpNoDelay(true)
                        .withBacklog(256)
                        .withConnectionTimeoutMs(5_000)
                        .buildAndOpen();
                return new Opened(r, c, p);
            } catch (IOException | RuntimeException e) {
                last = e;
                if (r != null) {
                    r.close();
                }
            }
        }
        throw new IllegalStateException("could not open a proxy in front of " + target, last);
    }

    /** Opens a proxy in front of {@code target} (outside {@link PostgresPair}). */
    public static LinkProxy in(PgServer target) {
        return new LinkProxy(target);
    }

    public PgServer target() {
        return target;
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return port;
    }

    /** {@code jdbc:postgresql://127.0.0.1:proxyPort/postgres}. */
    public String jdbcUrl() {
        return jdbcUrl("postgres");
    }

    /** {@code jdbc:postgresql://127.0.0.1:proxyPort/db}. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    public State state() {
        return state;
    }

    /** Closes every proxied connection and stops listening: new connections are refused. */
    public synchronized void cut() {
        if (state == State.CLOSED) {
            throw new IllegalStateException("proxy closed");
        }
        if (state == State.FROZEN) {
            crusher.unfreeze(); // so the close below sends FIN/RST to both sides
        }
        if (crusher.isOpen()) {
            crusher.close();
        }
        state = State.CUT;
    }

    /** Keeps connections open but moves no byte in either direction; new connections hang too. */
    public synchronized void freeze() {
        if (state == State.CLOSED) {
            throw new IllegalStateException("proxy closed");
        }
        if (!crusher.isOpen()) {
            crusher.open();
        }
        crusher.freeze();
        state = State.FROZEN;
    }

    /** Back to a working link (connections that survived a freeze continue; a cut's are gone). */
    public synchronized void restore() {
        if (state == State.CLOSED) {
            throw new IllegalStateException("proxy closed");
        }
        if (!crusher.isOpen()) {
            crusher.open();
        } else if (crusher.isFrozen()) {
            crusher.unfreeze();
        }
        state = State.OPEN;
    }

    /** Number of client connections currently proxied. */
    public int connections() {
        return crusher.isOpen() ? crusher.getClientAddresses().size() : 0;
    }

    @Override
    public synchronized void close() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        try {
            if (crusher.isOpen()) {
                if (crusher.isFrozen()) {
                    crusher.unfreeze();
                }
                crusher.close();
            }
        } finally {
            reactor.close();
            Cleanup.unregister(this);
        }
    }

    @Override
    public String toString() {
        return "LinkProxy[127.0.0.1:" + port + " -> " + target + " " + state + "]";
    }
}
