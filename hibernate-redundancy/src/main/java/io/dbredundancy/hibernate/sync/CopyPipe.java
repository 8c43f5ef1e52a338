package io.dbredundancy.hibernate.sync;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyOut;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * Streams one {@code COPY … TO STDOUT} of the source into one {@code COPY … FROM STDIN} of the target: the calling
 * thread reads, a second thread writes, a bounded queue of 256 KB blocks between them. Nothing is parsed; rows are
 * counted by CopyData messages (PostgreSQL sends one per row).
 */
final class CopyPipe {

    private static final int BLOCK = 256 * 1024;
    private static final int QUEUE = 16;
    private static final byte[] END = new byte[0];
    private static final int REPORT_EVERY = 5_000;

    private CopyPipe() {
    }

    /** Runs the pipe; returns the rows the target received. Both connections stay in their transactions. */
    static long run(Connection source, String copyOutSql, Connection target, String copyInSql, LongConsumer progress)
            throws SQLException {
        CopyOut out = source.unwrap(PGConnection.class).getCopyAPI().copyOut(copyOutSql);
        CopyIn in = copyIn(target, copyInSql, out);
        BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(QUEUE);
        Writer writer = new Writer(in, queue);
        Thread t = new Thread(writer, "db-redundancy-sync-copy-writer");
        t.setDaemon(true);
        t.start();
        long rowsSinceReport = 0;
        try {
            byte[] block = new byte[BLOCK];
            int fill = 0;
            byte[] msg;
            while ((msg = out.readFromCopy()) != null) {
                if (writer.failure != null) {
                    break;
                }
                if (fill + msg.length > block.length) {
                    if (fill > 0) {
                        put(queue, block, fill, writer);
                        block = new byte[Math.max(BLOCK, msg.length)];
                        fill = 0;
                    }
                    if (msg.length > block.length) {
                        block = new byte[msg.length];
                    }
                }
                System.arraycopy(msg, 0, block, fill, msg.length);
                fill += msg.length;
                if (++rowsSinceReport == REPORT_EVERY) {
                    progress.accept(rowsSinceReport);
                    rowsSinceReport = 0;
                }
            }
            if (writer.failure == null && fill > 0) {
                put(queue, block, fill, writer);
            }
        } catch (SQLException | RuntimeException e) {
            writer.abort = true;
            queue.clear();
            offer(queue);
            join(t);
            cancel(out);
            throw e;
        }
        if (writer.failure == null) {
            offer(queue);
        } else {
            cancel(out);
        }
        join(t);
        if (writer.failure != null) {
            throw writer.failure;
        }
        // the trailer message was counted as a row
        if (rowsSinceReport > 1) {
            progress.accept(rowsSinceReport - 1);
        }
        return writer.rows;
    }

    /** Starts the COPY into {@code target}; cancels {@code out} when it cannot. */
    private static CopyIn copyIn(Connection target, String copyInSql, CopyOut out) throws SQLException {
        try {
            return target.unwrap(PGConnection.class).getCopyAPI().copyIn(copyInSql);
        } catch (SQLException | RuntimeException e) {
            cancel(out);
            throw e;
        }
    }

    /** For small row sets: reads and writes on the calling thread, without the writer thread. */
    static long direct(Connection source, String copyOutSql, Connection target, String copyInSql) throws SQLException {
        CopyOut out = source.unwrap(PGConnection.class).getCopyAPI().copyOut(copyOutSql);
        CopyIn in = copyIn(target, copyInSql, out);
        try {
            byte[] msg;
            while ((msg = out.readFromCopy()) != null) {
                in.writeToCopy(msg, 0, msg.length);
            }
            return in.endCopy();
        } catch (SQLException | RuntimeException e) {
            cancel(out);
            try {
                if (in.isActive()) {
                    in.cancelCopy();
                }
            } catch (SQLException ignored) {
                // reported below
            }
            throw e;
        }
    }

    private static void put(BlockingQueue<byte[]> queue, byte[] block, int fill, Writer writer) throws SQLException {
        byte[] b = fill == block.length ? block : java.util.Arrays.copyOf(block, fill);
        try {
            while (!queue.offer(b, 1, TimeUnit.SECONDS)) {
                if (writer.failure != null || writer.done) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted", "57014", e);
        }
    }

    private static void offer(BlockingQueue<byte[]> queue) {
        try {
            queue.put(END);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void join(Thread t) {
        try {
            t.join(TimeUnit.MINUTES.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void cancel(CopyOut out) {
        try {
            if (out.isActive()) {
                out.cancelCopy();
            }
        } catch (SQLException ignored) {
            // the connection is being abandoned anyway
        }
    }

    private static final class Writer implements Runnable {
        private final CopyIn in;
        private final BlockingQueue<byte[]> queue;
        volatile SQLException failure;
        volatile boolean abort;
        volatile boolean done;
        long rows;

        Writer(CopyIn in, BlockingQueue<byte[]> queue) {
            this.in = in;
            this.queue = queue;
        }

        @Override
        public void run() {
            try {
                while (true) {
                    byte[] b = queue.take();
                    if (b == END) {
                        break;
                    }
                    in.writeToCopy(b, 0, b.length);
                }
                if (abort) {
                    in.cancelCopy();
                } else {
                    rows = in.endCopy();
                }
            } catch (SQLException e) {
                failure = e;
                try {
                    if (in.isActive()) {
                        in.cancelCopy();
                    }
                } catch (SQLException ignored) {
                    // reported through failure
                }
            } catch (InterruptedException e) {
                failure = new SQLException("interrupted", "57014", e);
            } finally {
                done = true;
            }
        }
    }
}
