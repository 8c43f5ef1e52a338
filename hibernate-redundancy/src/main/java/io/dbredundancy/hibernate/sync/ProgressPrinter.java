package io.dbredundancy.hibernate.sync;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/** Draws progress: a redrawn bar on a terminal, a plain line every few seconds otherwise. */
final class ProgressPrinter implements SyncProgress {

    private static final int WIDTH = 30;

    private final PrintStream out;
    private final boolean terminal;
    private final long intervalNanos;
    private final AtomicLong done = new AtomicLong();
    private final AtomicLong lastPrint = new AtomicLong();
    private volatile long total = -1;
    private volatile long startNanos;
    private volatile String phase = "";
    private volatile boolean barShown;

    ProgressPrinter(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
        this.intervalNanos = terminal ? 200_000_000L : 5_000_000_000L;
    }

    @Override
    public void begin(String phase, long totalRows) {
        this.phase = phase;
        this.total = totalRows;
        this.done.set(0);
        this.startNanos = System.nanoTime();
        this.lastPrint.set(startNanos);
        synchronized (out) {
            out.println(phase + (totalRows >= 0 ? " (~" + totalRows + " rows)" : ""));
        }
    }

    @Override
    public void advance(long rows) {
        long d = done.addAndGet(rows);
        long now = System.nanoTime();
        long last = lastPrint.get();
        if (now - last >= intervalNanos && lastPrint.compareAndSet(last, now)) {
            print(d, now);
        }
    }

    private void print(long d, long now) {
        double secs = Math.max(1e-3, (now - startNanos) / 1e9);
        double rate = d / secs;
        long t = total;
        String eta = t > 0 && rate > 0 && d < t ? formatDuration((t - d) / rate) : "-";
        synchronized (out) {
            if (terminal) {
                int filled = t > 0 ? (int) Math.min(WIDTH, WIDTH * d / t) : 0;
                String bar = "#".repeat(filled) + "-".repeat(WIDTH - filled);
                String pct = t > 0 ? String.format(Locale.ROOT, "%3d%%", Math.min(100, 100 * d / t)) : "   ";
                out.print(String.format(Locale.ROOT, "\r[%s] %s %,d rows  %,.0f rows/s  ETA %s   ", bar, pct, d, rate, eta));
                out.flush();
                barShown = true;
            } else {
                out.println(String.format(Locale.ROOT, "  %s: %,d%s rows, %,.0f rows/s, ETA %s", phase, d,
                        t > 0 ? " of ~" + String.format(Locale.ROOT, "%,d", t) : "", rate, eta));
            }
        }
    }

    @Override
    public void message(String line) {
        synchronized (out) {
            clearBar();
            out.println("  " + line);
        }
    }

    @Override
    public void end(String summary) {
        synchronized (out) {
            if (terminal && barShown) {
                print(done.get(), System.nanoTime());
            }
            clearBar();
            out.println(summary);
        }
    }

    private void clearBar() {
        if (barShown) {
            out.println();
            barShown = false;
        }
    }

    static String formatDuration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s";
        }
        return (s / 3600) + "h" + String.format(Locale.ROOT, "%02d", (s % 3600) / 60) + "m";
    }
}
