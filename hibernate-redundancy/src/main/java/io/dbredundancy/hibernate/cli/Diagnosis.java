package io.dbredundancy.hibernate.cli;

import io.dbredundancy.hibernate.DatabaseUrl;
import io.dbredundancy.hibernate.RedundancyConfigException;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;

/**
 * Turns a failure into what a user needs: one line saying what went wrong, the likely fix, and the exit code
 * ({@link ExitCodes}). Never carries a password.
 */
record Diagnosis(int exitCode, String problem, String fix) {

    /** {@code problem; fix}, masked. */
    String line() {
        return DatabaseUrl.mask(fix == null ? problem : problem + " -> " + fix);
    }

    static Diagnosis of(Throwable e) {
        if (e instanceof LiveTargetGuard.Refused r) {
            return new Diagnosis(ExitCodes.REFUSED, message(r), r.fix);
        }
        if (e instanceof RedundancyConfigException || e instanceof IllegalArgumentException) {
            return new Diagnosis(ExitCodes.USAGE, message(e), null);
        }
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            Diagnosis d = network(t);
            if (d != null) {
                return new Diagnosis(d.exitCode, message(e), d.fix);
            }
        }
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException se && se.getSQLState() != null) {
                Diagnosis s = sqlState(se.getSQLState());
                if (s != null) {
                    return new Diagnosis(s.exitCode, message(e), s.fix);
                }
            }
        }
        return new Diagnosis(ExitCodes.FAILURE, message(e), null);
    }

    /** The cause of a failed TCP connect or DNS lookup, with the fix; null for anything else. */
    static Diagnosis network(Throwable t) {
        if (t instanceof UnknownHostException) {
            return new Diagnosis(ExitCodes.CONNECTION, "unknown host " + t.getMessage(),
                    "check the host name in the URL for a typo, and that DNS resolves it (nslookup)");
        }
        if (t instanceof NoRouteToHostException) {
            return new Diagnosis(ExitCodes.CONNECTION, "host unreachable (EHOSTUNREACH)",
                    "no route to the host: check the network, VPN or the host's address");
        }
        if (t instanceof ConnectException) {
            return new Diagnosis(ExitCodes.CONNECTION, "connection refused (ECONNREFUSED)",
                    "no server is listening there: start PostgreSQL, or fix the port in the URL");
        }
        if (t instanceof SocketTimeoutException) {
            return new Diagnosis(ExitCodes.CONNECTION, "connection timed out (ETIMEDOUT)",
                    "a firewall or IP allow-list drops the packets, the host is down, or a suspended Neon compute"
                            + " is waking up: check the allow-list and retry");
        }
        return null;
    }

    static Diagnosis sqlState(String state) {
        return switch (state) {
            case "28P01" -> new Diagnosis(ExitCodes.CONNECTION, "password authentication failed",
                    "check the credentials in the URL (user:password@host) or hibernate.redundancy.<node>.password");
            case "28000" -> new Diagnosis(ExitCodes.CONNECTION, "authorization rejected",
                    "the server refuses this user/host (pg_hba.conf) or the role does not exist; cloud servers"
                            + " usually need ?sslmode=require");
            case "3D000" -> new Diagnosis(ExitCodes.CONNECTION, "database does not exist",
                    "create it (createdb <name>) or fix the database name at the end of the URL");
            case "53300" -> new Diagnosis(ExitCodes.CONNECTION, "too many connections",
                    "the server or its pooler is full: lower pool sizes or use the pooler endpoint");
            case "42501" -> new Diagnosis(ExitCodes.FAILURE, "permission denied",
                    "grant the missing privilege to this user (see: redundancy check)");
            case "42P01" -> new Diagnosis(ExitCodes.FAILURE, "table missing",
                    "create the schema on both databases first (redundancy migrate --changelog …)");
            default -> state.startsWith("08")
                    ? new Diagnosis(ExitCodes.CONNECTION, "connection failure",
                    "check that the server is up and reachable from here (redundancy check)")
                    : null;
        };
    }

    /** The first line of the message chain that says something, masked. */
    static String message(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            m = e.getClass().getSimpleName();
        }
        m = m.strip();
        int nl = m.indexOf('\n');
        if (nl >= 0) {
            m = m.substring(0, nl).strip();
        }
        return DatabaseUrl.mask(m);
    }
}
