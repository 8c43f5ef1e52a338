package io.dbredundancy.hibernate.cli;

/** The exit codes of {@code redundancy}, documented in README.md (Sync and the command line). */
public final class ExitCodes {

    /** Success; for verify: the databases are identical. */
    public static final int OK = 0;
    /** Differences found (verify), a check failed (check). */
    public static final int DIFFERENCES = 1;
    /** Bad command line, option value or configuration. */
    public static final int USAGE = 2;
    /** A database could not be reached or refused the login. */
    public static final int CONNECTION = 3;
    /** Anything else failed (SQL error, missing table, migration error). */
    public static final int FAILURE = 4;
    /**
     * sync or repair refused to write (without {@code --force}): the target is the database the lease names active, or
     * its journal holds changes the other database has not received.
     */
    public static final int REFUSED = 5;

    private ExitCodes() {
    }
}
