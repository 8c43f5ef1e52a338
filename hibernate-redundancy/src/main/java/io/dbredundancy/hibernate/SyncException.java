package io.dbredundancy.hibernate;

/** A sync, verify, repair or migration failure; its message is one line naming the database or table and why. */
public class SyncException extends RuntimeException {

    public SyncException(String message) {
        super(message);
    }

    public SyncException(String message, Throwable cause) {
        super(message, cause);
    }
}
