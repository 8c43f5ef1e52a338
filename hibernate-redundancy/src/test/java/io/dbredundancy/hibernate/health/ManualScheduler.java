package io.dbredundancy.hibernate.health;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.PriorityQueue;

/** A scheduler on a clock that only moves when the test says so: threshold tests run without sleeping. */
final class ManualScheduler implements HealthScheduler {

    /** The test's clock. */
    static final class MutableClock extends Clock {
        private long millis;

        MutableClock(long millis) {
            this.millis = millis;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public long millis() {
            return millis;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }
    }

    private static final class Entry implements Comparable<Entry>, Task {
        final long at;
        final long seq;
        final Runnable task;
        boolean cancelled;

        Entry(long at, long seq, Runnable task) {
            this.at = at;
            this.seq = seq;
            this.task = task;
        }

        @Override
        public int compareTo(Entry o) {
            return at != o.at ? Long.compare(at, o.at) : Long.compare(seq, o.seq);
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }

    final MutableClock clock = new MutableClock(1_800_000_000_000L);
    private final PriorityQueue<Entry> queue = new PriorityQueue<>();
    private long seq;
    private boolean closed;

    @Override
    public Task schedule(Runnable task, long delayMs) {
        Entry e = new Entry(clock.millis + Math.max(0, delayMs), seq++, task);
        if (!closed) {
            queue.add(e);
        }
        return e;
    }

    @Override
    public void execute(Runnable task) {
        schedule(task, 0);
    }

    @Override
    public boolean inScheduler() {
        return true;
    }

    /** Runs everything due within the next {@code ms}, moving the clock task by task. */
    void advance(long ms) {
        long end = clock.millis + ms;
        while (!queue.isEmpty() && queue.peek().at <= end) {
            Entry e = queue.poll();
            if (e.cancelled) {
                continue;
            }
            clock.millis = Math.max(clock.millis, e.at);
            e.task.run();
        }
        clock.millis = end;
    }

    long now() {
        return clock.millis;
    }

    @Override
    public void close() {
        closed = true;
        queue.clear();
    }
}
