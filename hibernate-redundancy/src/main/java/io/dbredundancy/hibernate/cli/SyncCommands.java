package io.dbredundancy.hibernate.cli;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.SyncResult;
import io.dbredundancy.hibernate.VerifyResult;
import io.dbredundancy.hibernate.sync.SyncOptions;
import io.dbredundancy.hibernate.sync.SyncService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.sql.SQLException;
import java.util.List;

/** sync, verify, repair, sequences. */
final class SyncCommands {

    static final String FORCE = "Write even into the database the lease names active, or into one whose journal holds"
            + " changes the other database has not received (refused without it, exit code 5)";

    static final String REFUSAL = "Refuses (exit code 5) to write into the database the lease names active, or into one"
            + " whose journal holds changes the other has not received, unless --force.";

    private SyncCommands() {
    }

    @Command(name = "sync", mixinStandardHelpOptions = true,
            description = {"Copies data to the given database from the other one.",
                    "Incremental (default): tables with change tracking (--track) copy the rows whose keys the"
                            + " source's change log recorded since the last run and delete those the source no longer"
                            + " has; when the log cannot prove it holds every change (tracking newer than the last run,"
                            + " pruned, a trigger missing, a TRUNCATE) the table is compared in full and the output says"
                            + " so. Untracked tables: rows whose updated_at passed the watermark kept on the target are"
                            + " upserted in batches; tables without updated_at are compared by checksums and their"
                            + " differing chunks copied; then rows the source no longer has are deleted from the target"
                            + " (keys compared in chunks by server-side hashes). Resumable.",
                    "--full: empties the target's tables and copies everything with binary COPY, several tables at"
                            + " once in foreign-key order, then sets the sequences. An interrupted full sync resumes"
                            + " where it stopped when run again.",
                    REFUSAL})
    static final class Sync extends DbCommand {
        @Option(names = "--to", required = true, paramLabel = "primary|secondary", description = "The database written")
        Node to;

        @Option(names = "--full", description = "Full copy instead of incremental catch-up")
        boolean full;

        @Option(names = "--batch-size", paramLabel = "N", description = "Rows per upsert batch (default: 1000)")
        int batchSize = 1000;

        @Option(names = "--force", description = FORCE)
        boolean force;

        @Option(names = "--track", description = "First install change tracking on the source's tables (statement-level"
                + " triggers recording the changed keys), so later incremental runs read only the rows changed since"
                + " the last run; the first run after it compares in full once")
        boolean track;

        @Mixin
        TableOptions tables;

        @Override
        public Integer call() throws SQLException {
            SyncService service = sync();
            if (!force) {
                String flags = full ? " --full" : "";
                LiveTargetGuard.check(config(), to, "sync --to " + to.id() + flags, "sync --to " + to.other().id() + flags);
            }
            SyncOptions o = tables.options(root).withBatchSize(batchSize);
            if (track) {
                service.trackChanges(to.other(), o);
            }
            SyncResult r = full ? service.fullSync(to, o) : service.incrementalSync(to, o);
            if (tables.quiet) {
                root.out.println(r);
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Compares the two databases by checksums of primary-key chunks, on both at once.",
                    "Prints the tables and key ranges that differ, and the differing keys when few chunks differ."
                            + " Exit code 0 only when identical, 1 when not."})
    static final class Verify extends DbCommand {
        @Mixin
        TableOptions tables;

        @Override
        public Integer call() {
            VerifyResult r = sync().verify(tables.options(root));
            if (tables.quiet) {
                for (VerifyResult.Difference d : r.differences()) {
                    root.out.println("differs: " + d);
                }
                root.out.println(r);
            }
            return r.identical() ? ExitCodes.OK : ExitCodes.DIFFERENCES;
        }
    }

    @Command(name = "repair", mixinStandardHelpOptions = true,
            description = {"Makes the given database equal to the other one, rewriting only the chunks that differ:"
                    + " per chunk, in one transaction, rows the source lacks are deleted and new or changed rows"
                    + " written.", REFUSAL})
    static final class Repair extends DbCommand {
        @Option(names = "--to", required = true, paramLabel = "primary|secondary", description = "The database repaired")
        Node to;

        @Option(names = "--force", description = FORCE)
        boolean force;

        @Option(names = "--track", description = "First install change tracking on the source's tables (statement-level"
                + " triggers recording the changed keys), so later incremental runs read only the rows changed since"
                + " the last run; the first run after it compares in full once")
        boolean track;

        @Mixin
        TableOptions tables;

        @Override
        public Integer call() throws SQLException {
            SyncService service = sync();
            if (!force) {
                LiveTargetGuard.check(config(), to, "repair --to " + to.id(), "repair --to " + to.other().id());
            }
            SyncResult r = service.repair(to, tables.options(root));
            if (tables.quiet) {
                root.out.println(r);
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "sequences", mixinStandardHelpOptions = true,
            description = {"Moves every sequence and identity column of the given database past the other one's"
                    + " (and past the highest id it holds), so ids issued there never collide."})
    static final class Sequences extends DbCommand {
        @Option(names = "--to", required = true, paramLabel = "primary|secondary", description = "The database adjusted")
        Node to;

        @Mixin
        TableOptions tables;

        @Override
        public Integer call() {
            List<String> moved = sync().alignSequences(to, tables.options(root));
            if (tables.quiet) {
                moved.forEach(m -> root.out.println("sequence " + m));
                root.out.println(moved.size() + " sequence(s) of the " + to.id() + " database moved");
            }
            return ExitCodes.OK;
        }
    }
}
