package io.dbredundancy.benchmarks.mirror;

import io.dbredundancy.benchmarks.mirror.MirrorBenchmark.Slice;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/** The tables of one workload: full load (all sides) and half load (mirrored sides), from the slices. */
final class Report {

    private Report() {
    }

    static void print(Workload w, MirrorBenchmark.Config config, Map<MirrorSide, List<Slice>> full,
                      List<Map<MirrorSide, Slice>> rounds, Map<MirrorSide, List<Slice>> half) {
        System.out.printf(Locale.ROOT, "%n%s, full load: %d threads, %d rounds of one %ss slice per side, order shuffled per round (tx/s: median of the"
                        + " slices; vs plain: median of the per-round ratios; backlog, drain: median/max; lag and CPU: all"
                        + " slices, load + drain)%n",
                w.id(), config.threads(), config.rounds(), MirrorBenchmark.Config.num(config.slice()));
        System.out.println("| side | tx/s | vs plain | applied/s | backlog | drain ms | lag ms p50/p99/max "
                + "| CPU s: JVM (writers, mirror thr., other thr., GC, JIT) / primary / secondary | CPU µs per tx: JVM / primary / secondary |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (MirrorSide side : MirrorSide.values()) {
            List<Slice> slices = full.get(side);
            if (slices == null) {
                continue;
            }
            double[] ratios = rounds.stream().filter(r -> r.containsKey(side) && r.containsKey(MirrorSide.PLAIN))
                    .mapToDouble(r -> r.get(side).load().txPerSecond() / r.get(MirrorSide.PLAIN).load().txPerSecond()).toArray();
            System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f%% | %s | %s | %s | %s | %s | %s |%n",
                    side.id(), txPerSecond(slices), 100 * MirrorBenchmark.median(ratios), applied(slices),
                    medMax(slices, false), medMax(slices, true), lag(slices), cpuSeconds(slices), cpuPerTx(slices));
        }
        if (!half.isEmpty()) {
            System.out.printf(Locale.ROOT, "%n%s, half load: capped at 50%% of the side's full-load tx/s, %d slice(s) each%n",
                    w.id(), config.halfRounds());
            System.out.println("| side | cap tx/s | tx/s | applied/s | backlog | drain ms | lag ms p50/p99/max "
                    + "| CPU µs per tx: JVM / primary / secondary |");
            System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
            for (Map.Entry<MirrorSide, List<Slice>> e : half.entrySet()) {
                List<Slice> slices = e.getValue();
                System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f | %s | %s | %s | %s | %s |%n", e.getKey().id(),
                        slices.get(0).targetRate(), txPerSecond(slices), applied(slices), medMax(slices, false),
                        medMax(slices, true), lag(slices), cpuPerTx(slices));
            }
        }
        StringBuilder notes = new StringBuilder();
        for (MirrorSide side : MirrorSide.values()) {
            List<Slice> slices = full.get(side);
            if (slices != null && side.mirrored()) {
                long entries = slices.stream().mapToLong(Slice::appliedTotal).sum();
                long tx = slices.stream().mapToLong(s -> s.load().committed()).sum();
                notes.append(String.format(Locale.ROOT, "%s %.2f, ", side.id(), entries / (double) tx));
            }
        }
        if (notes.length() > 0) {
            System.out.println("journal entries applied per committed transaction (full load): "
                    + notes.substring(0, notes.length() - 2));
        }
        List<Slice> mirrored = Stream.concat(full.values().stream(), half.values().stream())
                .flatMap(List::stream).filter(s -> s.side().mirrored()).toList();
        if (mirrored.stream().allMatch(s -> s.lag() != null)) {
            long samples = mirrored.stream().mapToLong(s -> s.lag().length).sum();
            long applied = mirrored.stream().mapToLong(Slice::appliedTotal).sum();
            System.out.println("lag samples: " + samples + " for " + applied + " applied entries"
                    + (samples == applied ? "" : " (MISMATCH: percentiles may be biased)"));
        }
        long failed = full.values().stream().flatMap(List::stream).mapToLong(s -> s.load().failed()).sum()
                + half.values().stream().flatMap(List::stream).mapToLong(s -> s.load().failed()).sum();
        if (failed > 0) {
            System.out.println("FAILED iterations (not counted as committed): " + failed + " (see the slice lines)");
        }
    }

    private static double txPerSecond(List<Slice> slices) {
        return MirrorBenchmark.median(slices.stream().mapToDouble(s -> s.load().txPerSecond()).toArray());
    }

    private static String applied(List<Slice> slices) {
        if (!slices.get(0).side().mirrored()) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.1f",
                MirrorBenchmark.median(slices.stream().mapToDouble(s -> s.appliedDuringLoad() / s.load().seconds()).toArray()));
    }

    /** Backlog (entries) or drain time (ms) as median/max; a drain that timed out shows as "timeout". */
    private static String medMax(List<Slice> slices, boolean drain) {
        if (!slices.get(0).side().replicated()) {
            return "-";
        }
        if (drain && slices.stream().anyMatch(s -> s.drainMs() < 0)) {
            long ok = slices.stream().filter(s -> s.drainMs() >= 0).count();
            return "timeout (" + (slices.size() - ok) + " of " + slices.size() + ")";
        }
        double[] v = slices.stream().mapToDouble(s -> drain ? s.drainMs() : s.backlog()).toArray();
        return String.format(Locale.ROOT, "%.0f/%.0f", MirrorBenchmark.median(v), Arrays.stream(v).max().orElse(0));
    }

    private static String lag(List<Slice> slices) {
        if (!slices.get(0).side().replicated()) {
            return "-";
        }
        if (slices.stream().anyMatch(s -> s.lag() == null)) {
            return "?/" + slices.stream().mapToLong(Slice::lagP99).max().orElse(0) + "/? (p99: worst slice)";
        }
        long[] all = slices.stream().flatMapToLong(s -> Arrays.stream(s.lag())).toArray();
        if (all.length == 0) {
            return "no samples";
        }
        return MirrorBenchmark.percentile(all, 0.50) + "/" + MirrorBenchmark.percentile(all, 0.99) + "/"
                + MirrorBenchmark.percentile(all, 1.0);
    }

    private static CpuMeter.Reading cpu(List<Slice> slices) {
        return slices.stream().map(Slice::cpu).reduce(CpuMeter.Reading.ZERO, CpuMeter.Reading::plus);
    }

    private static String cpuSeconds(List<Slice> slices) {
        CpuMeter.Reading c = cpu(slices);
        long writers = slices.stream().mapToLong(s -> s.load().writerCpuNanos()).sum();
        return String.format(Locale.ROOT, "%.2f (%.2f, %.2f, %.2f, %.2f, %.2f) / %.2f / %.2f", c.jvm() / 1e9, writers / 1e9,
                c.mirrorThreads() / 1e9, c.otherThreads() / 1e9, c.gc() / 1e9, c.jit() / 1e9, c.primary() / 1e9, c.secondary() / 1e9);
    }

    private static String cpuPerTx(List<Slice> slices) {
        CpuMeter.Reading c = cpu(slices);
        double tx = slices.stream().mapToLong(s -> s.load().committed()).sum();
        return String.format(Locale.ROOT, "%.0f / %.0f / %.0f", c.jvm() / 1e3 / tx, c.primary() / 1e3 / tx, c.secondary() / 1e3 / tx);
    }
}
