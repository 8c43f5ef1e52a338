package io.dbredundancy.benchmarks.mirror;

import io.dbredundancy.hibernate.mirror.MirrorRuntime;

import java.lang.reflect.Field;
import java.util.Arrays;

/**
 * The mirror lag samples of one unit (ms from an entry's journal write to the commit of its batch on the other
 * database), all of them. {@link MirrorRuntime} keeps the last 8192 in a ring and publishes only their p99
 * ({@code MirrorStats.lagP99Ms}); this reads and empties the ring (under the runtime's own lock, as
 * {@link MirrorRuntime#resetLagSamples()} does) often enough that no sample is overwritten, so p50 and max are
 * exact too. Where the ring is not found (the plugin changed), only the p99 of the last 8192 samples is known.
 */
final class LagSampler {

    private final MirrorRuntime runtime;
    private final Object lock;
    private final Field samples;
    private final Field count;
    private final Field next;
    private long[] taken = new long[1024];
    private int size;
    private volatile String unavailable;

    LagSampler(MirrorRuntime runtime) {
        this.runtime = runtime;
        Object l = null;
        Field s = null;
        Field c = null;
        Field n = null;
        try {
            Field lf = MirrorRuntime.class.getDeclaredField("statsLock");
            lf.setAccessible(true);
            l = lf.get(runtime);
            s = field("lagSamples");
            c = field("lagCount");
            n = field("lagNext");
        } catch (ReflectiveOperationException | RuntimeException e) {
            unavailable = "MirrorRuntime's lag ring not found (" + e + "): p99 of the last 8192 samples only";
        }
        this.lock = l;
        this.samples = s;
        this.count = c;
        this.next = n;
    }

    private static Field field(String name) throws NoSuchFieldException {
        Field f = MirrorRuntime.class.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }

    /** Why p50 and max are not known, or null. */
    String unavailable() {
        return unavailable;
    }

    /** Forgets everything recorded so far, here and in the runtime. */
    synchronized void reset() {
        size = 0;
        runtime.resetLagSamples();
    }

    /** Moves the runtime's samples here (call at least once per 8192 applied entries). */
    synchronized void take() {
        if (unavailable != null) {
            return;
        }
        try {
            synchronized (lock) {
                long[] ring = (long[]) samples.get(runtime);
                int n = count.getInt(runtime);
                int end = next.getInt(runtime);
                int start = Math.floorMod(end - n, ring.length);
                if (taken.length < size + n) {
                    taken = Arrays.copyOf(taken, Math.max(taken.length * 2, size + n));
                }
                for (int i = 0; i < n; i++) {
                    taken[size++] = ring[(start + i) % ring.length];
                }
                count.setInt(runtime, 0);
                next.setInt(runtime, 0);
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            unavailable = "could not read MirrorRuntime's lag ring (" + e + "): p99 of the last 8192 samples only";
        }
    }

    /** The samples taken since {@link #reset()}, ms; with the ring unavailable, null. */
    synchronized long[] samples() {
        return unavailable != null ? null : Arrays.copyOf(taken, size);
    }

    /** The runtime's own p99 (last 8192 samples since the last reset or take). */
    long runtimeP99() {
        return runtime.stats().lagP99Ms();
    }
}
