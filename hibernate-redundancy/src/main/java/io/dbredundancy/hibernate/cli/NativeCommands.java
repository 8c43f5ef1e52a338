package io.dbredundancy.hibernate.cli;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.replication.NativeReplication;
import io.dbredundancy.hibernate.RedundancyStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * {@code redundancy native setup|status|teardown|resume}: PostgreSQL's logical replication between the two databases
 * ({@code mirror.mode=native}), named after the persistence unit.
 */
@Command(name = "native", mixinStandardHelpOptions = true,
        description = {"PostgreSQL's own logical replication between the two databases (mirror.mode=native):",
                "a publication on each, a subscription on the other (origin = none, PostgreSQL 16+), named after the unit."},
        subcommands = {NativeCommands.Setup.class, NativeCommands.Status.class, NativeCommands.Teardown.class,
                NativeCommands.Resume.class})
final class NativeCommands implements Runnable {

    @ParentCommand
    RedundancyCli root;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(root.out);
    }

    /** The subcommands' shared part: the unit option and the replication between the configured databases. */
    abstract static class NativeCommand implements java.util.concurrent.Callable<Integer> {
        @ParentCommand
        NativeCommands parent;

        @picocli.CommandLine.Mixin
        ConnectionOptions connection;

        RedundancyCli root;

        @Option(names = "--unit", paramLabel = "NAME", required = true,
                description = "The persistence unit's name: the objects are named redundancy_<unit>…")
        String unit;

        @Override
        public final Integer call() throws Exception {
            root = parent.root;
            RedundancyConfig c = connection.resolve(root.env, root.secrets);
            if (c.secondary().isEmpty()) {
                throw new IllegalArgumentException("No secondary database: pass --secondary URL, set"
                        + " hibernate.redundancy.secondary.url in --config, or DATABASE_URL_SECONDARY");
            }
            return run(new NativeReplication(c.primary(), c.secondary().get(), unit, 5));
        }

        abstract int run(NativeReplication replication) throws Exception;
    }

    @Command(name = "setup", mixinStandardHelpOptions = true,
            description = {"Checks every prerequisite, then creates (or, after a schema change, refreshes) the",
                    "publications, subscriptions and the fence on both databases. Idempotent.",
                    "Exit code 1 with one line per missing prerequisite."})
    static final class Setup extends NativeCommand {
        @Option(names = "--check", description = "Only check the prerequisites")
        boolean checkOnly;

        @Option(names = "--copy-wait-seconds", paramLabel = "S",
                description = "How long to wait for an initial copy before creating the other direction (default: ${DEFAULT-VALUE})")
        int copyWait = 300;

        @Override
        int run(NativeReplication replication) {
            List<String> problems = replication.problems();
            if (!problems.isEmpty()) {
                problems.forEach(p -> root.out.println("missing: " + p));
                return ExitCodes.DIFFERENCES;
            }
            if (checkOnly) {
                root.out.println("All prerequisites of mirror.mode=native are met.");
                return ExitCodes.OK;
            }
            try {
                replication.setup(Duration.ofSeconds(copyWait)).lines().forEach(root.out::println);
            } catch (NativeReplication.SetupException e) {
                e.problems().forEach(p -> root.out.println("missing: " + p));
                return ExitCodes.DIFFERENCES;
            }
            root.out.println("native replication set up: publication " + replication.names().publication()
                    + " on both databases; run 'redundancy native status' to follow it");
            return ExitCodes.OK;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"Each direction: the subscription's state, lag in bytes and ms, errors.",
                    "Exit code 0 when both stream, 1 otherwise."})
    static final class Status extends NativeCommand {
        @Override
        int run(NativeReplication replication) {
            boolean streaming = true;
            for (RedundancyStatus.Replication d : replication.status()) {
                streaming &= "streaming".equals(d.state());
                root.out.println(String.format(Locale.ROOT, "%-9s -> %-9s %-10s lag %s bytes, %s ms, %d error(s)%s",
                        d.from(), d.to(), d.state(), d.lagBytes() < 0 ? "?" : Long.toString(d.lagBytes()),
                        d.lagMs() < 0 ? "?" : Long.toString(d.lagMs()), d.errors(),
                        d.lastError() == null ? "" : ": " + d.lastError()));
            }
            return streaming ? ExitCodes.OK : ExitCodes.DIFFERENCES;
        }
    }

    @Command(name = "teardown", mixinStandardHelpOptions = true,
            description = {"Drops the subscriptions (and their slots), the publications and the fence on both databases.",
                    "The data and the library's tables stay."})
    static final class Teardown extends NativeCommand {
        @Override
        int run(NativeReplication replication) {
            List<String> lines = replication.teardown();
            lines.forEach(root.out::println);
            return lines.stream().anyMatch(l -> l.contains("not reached")) ? ExitCodes.CONNECTION : ExitCodes.OK;
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true,
            description = "Enables the subscriptions that were disabled (ALTER SUBSCRIPTION … DISABLE).")
    static final class Resume extends NativeCommand {
        @Override
        int run(NativeReplication replication) throws Exception {
            for (Node target : Node.values()) {
                replication.resume(target);
                root.out.println(target.id() + ": " + replication.names().subscriptionOn(target) + " enabled");
            }
            return ExitCodes.OK;
        }
    }
}
