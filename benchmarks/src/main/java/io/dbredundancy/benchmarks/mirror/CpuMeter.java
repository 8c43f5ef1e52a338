package io.dbredundancy.benchmarks.mirror;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * CPU time used so far, from {@code /proc}: this JVM (utime + stime of {@code /proc/self/stat}), the plugin's mirror
 * threads within it ({@code db-redundancy-mirror-*}, by {@link ThreadMXBean}), and each PostgreSQL server as the
 * sum over its postmaster's process tree (live processes' own time plus the time of children they reaped, so
 * backends that exited still count).
 */
final class CpuMeter {

    /**
     * CPU nanoseconds used by each component, so far (a reading) or in a window ({@link #minus}). {@code jvm}, {@code
     * primary}, {@code secondary}: whole processes. In a window only, parts of the JVM: {@code mirrorThreads} (the
     * plugin's mirror threads), {@code otherThreads} (the Java threads other than those and the benchmark's writers:
     * pools, health checks, the benchmark's own sampling), {@code gc} (GC workers and the VM thread, which runs the
     * safepoint operations) and {@code jit} (the compiler threads); a thread that ended within the window counts in
     * {@code jvm} only. In a reading only: the time per live thread ({@code javaThreads}: Java thread id to {nanos, 1
     * when a mirror thread}; {@code vmThreads}: native id to {nanos, 1 for JIT, 0 for GC}).
     */
    record Reading(long jvm, long mirrorThreads, long otherThreads, long gc, long jit, long primary, long secondary,
                   Map<Long, long[]> javaThreads, Map<Long, long[]> vmThreads) {

        /** The window from {@code earlier} to this reading; a thread counts from its time in {@code earlier}, or from 0. */
        Reading minus(Reading earlier) {
            long[] java = split(javaThreads, earlier.javaThreads);
            long[] vm = split(vmThreads, earlier.vmThreads);
            return new Reading(jvm - earlier.jvm, java[1], java[0], vm[0], vm[1], primary - earlier.primary,
                    secondary - earlier.secondary, Map.of(), Map.of());
        }

        /** Sums of the threads' deltas by their tag (0 or 1). */
        private static long[] split(Map<Long, long[]> now, Map<Long, long[]> before) {
            long[] sums = new long[2];
            for (Map.Entry<Long, long[]> t : now.entrySet()) {
                long[] b = before.get(t.getKey());
                sums[(int) t.getValue()[1]] += Math.max(0, t.getValue()[0] - (b == null ? 0 : b[0]));
            }
            return sums;
        }

        Reading plus(Reading o) {
            return new Reading(jvm + o.jvm, mirrorThreads + o.mirrorThreads, otherThreads + o.otherThreads, gc + o.gc,
                    jit + o.jit, primary + o.primary, secondary + o.secondary, Map.of(), Map.of());
        }

        static final Reading ZERO = new Reading(0, 0, 0, 0, 0, 0, 0, Map.of(), Map.of());
    }

    private static final String MIRROR_THREADS = "db-redundancy-mirror-";
    private static final String WRITER_THREADS = "bench-writer-";

    private final long nanosPerTick;
    private final LongSupplier primaryPid;
    private final LongSupplier secondaryPid;
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

    /** {@code primaryPid}/{@code secondaryPid}: the postmasters' pids, asked at every reading (a restart moves them). */
    CpuMeter(LongSupplier primaryPid, LongSupplier secondaryPid) {
        this.nanosPerTick = 1_000_000_000L / clockTicksPerSecond();
        this.primaryPid = primaryPid;
        this.secondaryPid = secondaryPid;
    }

    Reading read() {
        Map<Long, long[]> procs = processes();
        long self = ticks(procs.get(ProcessHandle.current().pid()), false);
        Map<Long, long[]> javaThreads = new HashMap<>();
        for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t == null || t.getThreadName().startsWith(WRITER_THREADS)) {
                continue; // writers count their own time when they end
            }
            long ns = Math.max(0, threads.getThreadCpuTime(t.getThreadId()));
            javaThreads.put(t.getThreadId(), new long[]{ns, t.getThreadName().startsWith(MIRROR_THREADS) ? 1 : 0});
        }
        return new Reading(self * nanosPerTick, 0, 0, 0, 0,
                tree(procs, primaryPid.getAsLong()) * nanosPerTick, tree(procs, secondaryPid.getAsLong()) * nanosPerTick,
                javaThreads, vmThreads());
    }

    /** The JVM's own native threads, by the name Linux shows (15 characters at most): GC (tag 0) and JIT (tag 1). */
    private Map<Long, long[]> vmThreads() {
        Map<Long, long[]> out = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    int tag = name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler") || name.startsWith("Sweeper") ? 1
                            : name.startsWith("GC Thread") || name.startsWith("G1 ") || name.equals("VM Thread") ? 0 : -1;
                    if (tag >= 0) {
                        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        out.put(Long.parseLong(task.getFileName().toString()),
                                new long[]{(Long.parseLong(f[11]) + Long.parseLong(f[12])) * nanosPerTick, tag});
                    }
                } catch (IOException | RuntimeException gone) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            // no per-thread figures: GC and JIT stay 0
        }
        return out;
    }

    /** Ticks of {@code root} and all its descendants, reaped children included. */
    private static long tree(Map<Long, long[]> procs, long root) {
        Map<Long, List<Long>> children = new HashMap<>();
        procs.forEach((pid, s) -> children.computeIfAbsent(s[0], k -> new ArrayList<>()).add(pid));
        long sum = 0;
        Deque<Long> todo = new ArrayDeque<>(List.of(root));
        while (!todo.isEmpty()) {
            long pid = todo.pop();
            sum += ticks(procs.get(pid), true);
            todo.addAll(children.getOrDefault(pid, List.of()));
        }
        return sum;
    }

    private static long ticks(long[] stat, boolean withReapedChildren) {
        if (stat == null) {
            return 0;
        }
        return stat[1] + stat[2] + (withReapedChildren ? stat[3] + stat[4] : 0);
    }

    /** pid → {ppid, utime, stime, cutime, cstime} of every process in /proc. */
    private static Map<Long, long[]> processes() {
        Map<Long, long[]> out = new HashMap<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().chars().allMatch(Character::isDigit))) {
            for (Path dir : dirs) {
                try {
                    String stat = Files.readString(dir.resolve("stat"));
                    // fields after the command (which may hold spaces): state ppid ... utime(14) stime cutime cstime
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    out.put(Long.parseLong(dir.getFileName().toString()), new long[]{
                            Long.parseLong(f[1]), Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[13]), Long.parseLong(f[14])});
                } catch (IOException | RuntimeException gone) {
                    // the process exited meanwhile
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("CPU figures need /proc (Linux): " + e.getMessage(), e);
        }
        return out;
    }

    private static long clockTicksPerSecond() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor();
            return Long.parseLong(out);
        } catch (IOException | RuntimeException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
