package io.dbredundancy.hibernate.cli;

import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.sync.SyncOptions;
import io.dbredundancy.hibernate.sync.SyncProgress;
import io.dbredundancy.hibernate.sync.SyncService;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.util.List;
import java.util.concurrent.Callable;

/** What every database command shares: the connection options, the output streams, the resolved config. */
abstract class DbCommand implements Callable<Integer> {

    @ParentCommand
    RedundancyCli root;

    @Mixin
    ConnectionOptions connection;

    private RedundancyConfig config;

    RedundancyConfig config() {
        if (config == null) {
            config = connection.resolve(root.env, root.secrets);
        }
        return config;
    }

    SyncService sync() {
        RedundancyConfig c = config();
        if (c.secondary().isEmpty()) {
            throw new IllegalArgumentException("No secondary database: pass --secondary URL, set"
                    + " hibernate.redundancy.secondary.url in --config, or DATABASE_URL_SECONDARY");
        }
        return SyncService.of(c);
    }

    /** Options shared by the commands that read or write table data. */
    static final class TableOptions {
        @Option(names = "--tables", split = ",", paramLabel = "TABLE",
                description = "Only these tables (table or schema.table, comma-separated); default: all")
        List<String> tables = List.of();

        @Option(names = "--parallelism", paramLabel = "N", description = "Tables or chunks handled at once (default: 3)")
        int parallelism = 3;

        @Option(names = "--chunk-rows", paramLabel = "N",
                description = "Rows per checksum chunk of verify/repair (default: 10000)")
        int chunkRows = 10_000;

        @Option(names = "--quiet", description = "No progress output, only the result")
        boolean quiet;

        SyncOptions options(RedundancyCli root) {
            return SyncOptions.defaults().withTables(tables).withParallelism(parallelism).withChunkRows(chunkRows)
                    .withProgress(quiet ? SyncProgress.none() : SyncProgress.console(root.out));
        }
    }
}
