package io.dbredundancy.hibernate.sync;

import java.io.PrintStream;

/**
 * Receives the progress of a sync, verify or repair. Called from several worker threads at once.
 * {@link #console(PrintStream)} draws a bar (rows, rows/s, ETA) on a terminal and prints plain lines otherwise.
 */
public interface SyncProgress {

    /** A phase starts ({@code "full sync to secondary"}); {@code totalRows} is an estimate, or -1 if unknown. */
    void begin(String phase, long totalRows);

    /** {@code rows} more rows were handled. */
    void advance(long rows);

    /** A line worth showing (a table done, a difference found). */
    void message(String line);

    /** The phase is over. */
    void end(String summary);

    /** Discards everything. */
    static SyncProgress none() {
        return new SyncProgress() {
            @Override
            public void begin(String phase, long totalRows) {
            }

            @Override
            public void advance(long rows) {
            }

            @Override
            public void message(String line) {
            }

            @Override
            public void end(String summary) {
            }
        };
    }

    /** A bar when {@link System#console()} is present, plain progress lines (every few seconds) when not. */
    static SyncProgress console(PrintStream out) {
        return new ProgressPrinter(out, System.console() != null);
    }
}
