package io.dbredundancy.hibernate.sync;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How a sync, verify or repair runs. Immutable; start from {@link #defaults()} and change with the {@code with…}
 * methods, whose errors name the option and the bad value.
 *
 * @param tables      tables to handle ({@code table} or {@code schema.table}); empty = every user table
 * @param batchSize   rows per upsert batch of the incremental sync (default 1000)
 * @param chunkRows   rows per checksum chunk of verify and repair (default 10,000)
 * @param parallelism tables (full sync) or chunks (verify) handled at once (default 3)
 * @param lookback    how far before its watermark an incremental run starts again, so rows committed late with an
 *                    older {@code updated_at} (a long transaction) are still seen; 0 (the default) starts exactly
 *                    after the last row applied, by {@code (updated_at, primary key)}
 * @param progress    where progress goes (default nowhere)
 */
public record SyncOptions(List<String> tables, int batchSize, int chunkRows, int parallelism, Duration lookback,
                          SyncProgress progress) {

    public SyncOptions {
        tables = List.copyOf(tables);
        Objects.requireNonNull(lookback, "lookback");
        Objects.requireNonNull(progress, "progress");
        check("batchSize", batchSize, 1, 100_000);
        check("chunkRows", chunkRows, 10, 10_000_000);
        check("parallelism", parallelism, 1, 64);
        if (lookback.isNegative()) {
            throw new IllegalArgumentException("lookback must not be negative, but was " + lookback);
        }
    }

    private static void check(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", but was " + value);
        }
    }

    public static SyncOptions defaults() {
        return new SyncOptions(List.of(), 1000, 10_000, 3, Duration.ZERO, SyncProgress.none());
    }

    public SyncOptions withTables(List<String> tables) {
        return new SyncOptions(tables, batchSize, chunkRows, parallelism, lookback, progress);
    }

    public SyncOptions withBatchSize(int batchSize) {
        return new SyncOptions(tables, batchSize, chunkRows, parallelism, lookback, progress);
    }

    public SyncOptions withChunkRows(int chunkRows) {
        return new SyncOptions(tables, batchSize, chunkRows, parallelism, lookback, progress);
    }

    public SyncOptions withParallelism(int parallelism) {
        return new SyncOptions(tables, batchSize, chunkRows, parallelism, lookback, progress);
    }

    public SyncOptions withLookback(Duration lookback) {
        return new SyncOptions(tables, batchSize, chunkRows, parallelism, lookback, progress);
    }

    public SyncOptions withProgress(SyncProgress progress) {
        return new SyncOptions(tables, batchSize, chunkRows, parallelism, lookback, progress);
    }
}
