package io.dbredundancy.hibernate.cli;

import io.dbredundancy.hibernate.DatabaseUrl;
import io.dbredundancy.hibernate.Node;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Map;

/**
 * {@code redundancy}: the command line of hibernate-redundancy. Status, diagnostics, manual failover and failback,
 * full and incremental sync, verify, repair, sequences and migrations of both databases. Exit codes in
 * {@link ExitCodes}.
 */
@Command(name = "redundancy", mixinStandardHelpOptions = true, versionProvider = RedundancyCli.Version.class,
        description = "Primary/secondary PostgreSQL redundancy tools: status, check, failover, failback, sync,"
                + " verify, repair, sequences, migrate, native.",
        subcommands = {StatusCommand.class, CheckCommand.class, LeaseCommands.Failover.class,
                LeaseCommands.Failback.class, SyncCommands.Sync.class, SyncCommands.Verify.class,
                SyncCommands.Repair.class, SyncCommands.Sequences.class, MigrateCommand.class, NativeCommands.class},
        footer = {"", "Connection: --primary/--secondary URLs, --config file.properties (hibernate.redundancy.* keys),"
                + " or DATABASE_URL / DATABASE_URL_SECONDARY.",
                "Exit codes: 0 ok, 1 differences found / check failed, 2 usage or configuration error,"
                        + " 3 connection or authentication error, 4 other failure, 5 sync/repair refused to overwrite"
                        + " the live database (see --force)."})
public final class RedundancyCli implements Runnable {

    final PrintStream out;
    final PrintStream err;
    final Map<String, String> env;
    /** Every password the command was given; {@link #out} and {@link #err} mask them. */
    final SecretFilter secrets = new SecretFilter();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    RedundancyCli(PrintStream out, PrintStream err, Map<String, String> env) {
        this.out = secrets.wrap(out);
        this.err = secrets.wrap(err);
        this.env = env;
        secrets.add(env.get("DATABASE_URL"), false);
        secrets.add(env.get("DATABASE_URL_SECONDARY"), false);
    }

    @Override
    public void run() {
        spec.commandLine().usage(out);
    }

    public static void main(String[] args) {
        System.exit(execute(args, System.out, System.err, System.getenv()));
    }

    /** Runs one command line; returns the exit code. */
    public static int execute(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        RedundancyCli root = new RedundancyCli(out, err, env);
        for (String a : args) {
            // --primary URL, --primary=URL: known before picocli echoes any of them
            root.secrets.add(a.startsWith("--") && a.indexOf('=') > 0 ? a.substring(a.indexOf('=') + 1) : a, false);
        }
        CommandLine cl = new CommandLine(root);
        cl.setOut(new PrintWriter(root.out, true));
        cl.setErr(new PrintWriter(root.err, true));
        cl.registerConverter(Node.class, RedundancyCli::node);
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            String problem = c.getUnmatchedArguments().isEmpty() || ex instanceof CommandLine.UnmatchedArgumentException
                    ? Diagnosis.message(ex) : "Unknown option or argument: '" + c.getUnmatchedArguments().get(0) + "'";
            root.err.println("redundancy: " + DatabaseUrl.mask(problem) + " (see '"
                    + c.getCommandSpec().qualifiedName() + " --help')");
            return ExitCodes.USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            Diagnosis d = Diagnosis.of(ex);
            root.err.println("redundancy: " + d.line());
            return d.exitCode();
        });
        int code = cl.execute(args);
        root.out.flush();
        root.err.flush();
        return code;
    }

    private static Node node(String value) {
        try {
            return Node.fromId(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a database; use primary or secondary");
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = RedundancyCli.class.getPackage().getImplementationVersion();
            return new String[]{"redundancy " + (v == null ? "(development build)" : v)};
        }
    }
}
