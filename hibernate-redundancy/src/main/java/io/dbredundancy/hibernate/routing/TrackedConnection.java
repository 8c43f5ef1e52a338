package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.CommitOutcomeUnknownException;
import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.health.FailureSignals;
import io.dbredundancy.hibernate.outcome.CommitTracker;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Executor;

/**
 * A connection handed to a session: the pool's connection behind a thin proxy that (1) is tracked while in use, so
 * a switch away from a failed node can abort it and free the application thread blocked on it, and (2) reports the
 * connection errors of the application's own statements to the health monitor (passive signals), and (3) turns a
 * commit that fails with a connection error into a {@link CommitOutcomeUnknownException} carrying the id of the
 * transaction it completes (handed over by the mirror's capture through {@link CommitTracker}).
 */
final class TrackedConnection implements InvocationHandler {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.routing");

    private final Connection delegate;
    private final Node node;
    private final ConnectionRouter router;
    private final long epoch;
    private Connection proxy;
    private String pendingTransaction;

    private TrackedConnection(Connection delegate, Node node, ConnectionRouter router, long epoch) {
        this.delegate = delegate;
        this.node = node;
        this.router = router;
        this.epoch = epoch;
    }

    static Connection wrap(Connection delegate, Node node, ConnectionRouter router, long epoch) {
        TrackedConnection t = new TrackedConnection(delegate, node, router, epoch);
        t.proxy = (Connection) Proxy.newProxyInstance(TrackedConnection.class.getClassLoader(),
                new Class<?>[] {Connection.class, CommitTracker.class}, t);
        router.track(node, t);
        return t.proxy;
    }

    Node node() {
        return node;
    }

    /** The epoch in which the connection was handed out. */
    long epoch() {
        return epoch;
    }

    /** Aborts the physical connection: a thread blocked on it gets an error at once. */
    void abort(Executor executor) {
        try {
            delegate.abort(executor);
        } catch (SQLException | RuntimeException ignored) {
            // already closed
        }
    }

    @Override
    public Object invoke(Object p, Method m, Object[] args) throws Throwable {
        switch (m.getName()) {
            case "close":
                pendingTransaction = null;
                router.untrack(node, this);
                break;
            case "pendingTransaction":
                if (m.getDeclaringClass() == CommitTracker.class) {
                    pendingTransaction = (String) args[0];
                    return null;
                }
                break;
            case "commit":
                return commit(m);
            case "rollback":
                if (args == null || args.length == 0) { // not a savepoint's: the transaction ends
                    pendingTransaction = null;
                }
                break;
            case "toString":
                return "TrackedConnection[" + node + ", " + delegate + "]";
            default:
                Object own = answerAsProxy(p, m, args);
                if (own != DELEGATE) {
                    return own;
                }
        }
        Object result = call(delegate, m, args);
        if (result instanceof Statement s) {
            Class<?> type = s instanceof CallableStatement ? CallableStatement.class
                    : s instanceof PreparedStatement ? PreparedStatement.class : Statement.class;
            return Proxy.newProxyInstance(TrackedConnection.class.getClassLoader(), new Class<?>[] {type},
                    new StatementHandler(s));
        }
        return result;
    }

    /**
     * Commits; a connection error on the way (the server, the network or the pool gave up on the connection) means
     * the commit may or may not have happened: {@link CommitOutcomeUnknownException} with the pending transaction's id.
     */
    private Object commit(Method m) throws Throwable {
        String transaction = pendingTransaction;
        pendingTransaction = null;
        try {
            return call(delegate, m, null);
        } catch (SQLException e) {
            if (!FailureSignals.isConnectivityFailure(e)) {
                throw e;
            }
            CommitOutcomeUnknownException unknown = new CommitOutcomeUnknownException(transaction, node, e);
            // a transaction that journaled nothing (most often read-only) is no news: every reader of a dying node
            // would log it
            LOG.log(transaction == null ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING, unknown.getMessage());
            throw unknown;
        }
    }

    /** Marks a call {@link #answerAsProxy} leaves to the wrapped object. */
    private static final Object DELEGATE = new Object();

    /**
     * Identity and JDBC wrapper calls answered by the proxy itself ({@code equals}, {@code hashCode},
     * {@code unwrap}/{@code isWrapperFor} of an interface the proxy implements); {@link #DELEGATE} for the rest.
     */
    private static Object answerAsProxy(Object p, Method m, Object[] args) {
        switch (m.getName()) {
            case "equals":
                return p == args[0];
            case "hashCode":
                return System.identityHashCode(p);
            case "unwrap":
                return ((Class<?>) args[0]).isInstance(p) ? p : DELEGATE;
            case "isWrapperFor":
                return ((Class<?>) args[0]).isInstance(p) ? Boolean.TRUE : DELEGATE;
            default:
                return DELEGATE;
        }
    }

    private Object call(Object target, Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof SQLException) {
                router.reportFailure(node, cause);
            }
            throw cause;
        }
    }

    /** Statements report their connection errors too; {@code getConnection()} answers the tracked proxy. */
    private final class StatementHandler implements InvocationHandler {
        private final Statement statement;

        StatementHandler(Statement statement) {
            this.statement = statement;
        }

        @Override
        public Object invoke(Object p, Method m, Object[] args) throws Throwable {
            switch (m.getName()) {
                case "getConnection":
                    return proxy;
                case "toString":
                    return statement.toString();
                default:
                    Object own = answerAsProxy(p, m, args);
                    if (own != DELEGATE) {
                        return own;
                    }
            }
            return call(statement, m, args);
        }
    }
}
