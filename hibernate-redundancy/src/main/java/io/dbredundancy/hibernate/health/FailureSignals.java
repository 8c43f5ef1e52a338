package io.dbredundancy.hibernate.health;

import java.io.EOFException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;

/**
 * Classifies errors from the application's own traffic: which of them say the database (or the path to it) is
 * failing. SQLState class 08 (connection exception), 57P01-57P03 (admin/crash shutdown, cannot connect now: the
 * first error after a bounce), pool acquisition time-outs ({@link SQLTransientConnectionException}) and socket
 * errors. Statement errors (syntax, constraints, deadlocks, cancels) are not.
 */
public final class FailureSignals {

    private FailureSignals() {
    }

    /** True when {@code t} or one of its causes says the node is unreachable or going away. */
    public static boolean isConnectivityFailure(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof SQLTransientConnectionException || c instanceof SQLNonTransientConnectionException) {
                return true;
            }
            if (c instanceof SQLException e) {
                String state = e.getSQLState();
                if (state != null && (state.startsWith("08") || state.equals("57P01") || state.equals("57P02")
                        || state.equals("57P03"))) {
                    return true;
                }
            }
            if (c instanceof ConnectException || c instanceof SocketTimeoutException || c instanceof EOFException
                    || c instanceof NoRouteToHostException || c instanceof UnknownHostException
                    || c instanceof SocketException) {
                return true;
            }
        }
        return false;
    }

    /** True when the chain holds a refused connection: nothing listens, a certain sign of a crash. */
    public static boolean isRefused(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof ConnectException) {
                return true;
            }
        }
        return false;
    }
}
