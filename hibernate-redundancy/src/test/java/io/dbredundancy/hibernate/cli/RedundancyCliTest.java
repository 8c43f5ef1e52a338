package io.dbredundancy.hibernate.cli;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.sync.SyncTestSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line against two real servers: the commands users run and every error path. */
class RedundancyCliTest {

    private static SyncTestSupport db;

    @BeforeAll
    static void start() throws Exception {
        db = SyncTestSupport.shared();
    }


    @BeforeEach
    void emptyDatabases() throws Exception {
        db.reset();
    }

    private Map<String, String> env() {
        return Map.of("DATABASE_URL", db.url(Node.PRIMARY), "DATABASE_URL_SECONDARY", db.url(Node.SECONDARY));
    }

    @Test
    void migrateCreatesTheLibraryTablesAndTheDemoSchemaOnBothDatabases() throws Exception {
        Cli library = Cli.run(env(), "migrate");
        Cli demo = Cli.run(env(), "migrate", "--changelog", "db/demo/changelog.xml");
        Cli again = Cli.run(env(), "migrate", "--changelog", "db/demo/changelog.xml");

        assertThat(library.exitCode()).as(library.toString()).isZero();
        assertThat(demo.exitCode()).as(demo.toString()).isZero();
        assertThat(again.exitCode()).as(again.toString()).isZero();
        assertThat(demo.out()).contains("migrated the primary database", "migrated the secondary database");
        for (Node n : Node.values()) {
            for (String t : new String[]{"customers", "orders", "order_items", "redundancy_sync_state", "redundancy_lease"}) {
                assertThat(db.queryString(n, "select to_regclass('" + t + "')::text")).as(n + " " + t).isEqualTo(t);
            }
        }
    }

    @Test
    void syncVerifyRepairAndSequencesWorkFromTheCommandLine() throws Exception {
        Cli.run(env(), "migrate", "--changelog", "db/demo/changelog.xml");
        db.execute(Node.PRIMARY,
                "insert into customers (id, email, name) select g, 'c' || g || '@x.org', 'C ' || g from generate_series(1, 300) g",
                "insert into orders (id, order_no, customer_id, total) select g, 'O-' || g, 1 + g % 300, g from generate_series(1, 500) g",
                "insert into order_items (id, order_id, sku, quantity, unit_price) select g, 1 + g % 500, 'S' || g, 1 + g % 3, 9.99 from generate_series(1, 1000) g");

        Cli sync = Cli.run(env(), "sync", "--to", "secondary", "--full");
        assertThat(sync.exitCode()).as(sync.toString()).isZero();
        assertThat(sync.out()).contains("full sync primary -> secondary", "1800 rows written");

        assertThat(Cli.run(env(), "verify").exitCode()).isZero();
        db.execute(Node.SECONDARY, "update orders set total = 0 where order_no = 'O-42'");
        Cli differs = Cli.run(env(), "verify");
        assertThat(differs.exitCode()).as(differs.toString()).isEqualTo(ExitCodes.DIFFERENCES);
        assertThat(differs.out()).contains("differs: public.orders keys");

        Cli repair = Cli.run(env(), "repair", "--to", "secondary");
        assertThat(repair.exitCode()).as(repair.toString()).isZero();
        assertThat(repair.out()).contains("repair sync to secondary: 1 rows written");
        assertThat(Cli.run(env(), "verify", "--quiet").out()).contains("identical");

        db.execute(Node.PRIMARY, "insert into customers (id, email, name) values (1000, 'late@x.org', 'late')");
        Cli incremental = Cli.run(env(), "sync", "--to", "secondary", "--batch-size", "10");
        assertThat(incremental.exitCode()).as(incremental.toString()).isZero();
        assertThat(db.queryLong(Node.SECONDARY, "select count(*) from customers where email = 'late@x.org'")).isEqualTo(1);

        db.execute(Node.PRIMARY, "select setval('orders_seq', 10000)");
        Cli seq = Cli.run(env(), "sequences", "--to", "secondary");
        assertThat(seq.exitCode()).as(seq.toString()).isZero();
        assertThat(db.queryLong(Node.SECONDARY, "select last_value from orders_seq")).isEqualTo(10000);
    }

    @Test
    void syncWithTrackInstallsChangeTrackingAndLaterRunsReadTheChangeLog() throws Exception {
        Cli.run(env(), "migrate");
        Cli.run(env(), "migrate", "--changelog", "db/demo/changelog.xml");
        db.execute(Node.PRIMARY,
                "insert into customers (id, email, name) select g, 'c' || g || '@x.org', 'C ' || g from generate_series(1, 300) g");
        assertThat(Cli.run(env(), "sync", "--to", "secondary", "--full").exitCode()).isZero();

        Cli track = Cli.run(env(), "sync", "--to", "secondary", "--track", "--tables", "customers");
        assertThat(track.exitCode()).as(track.toString()).isZero();
        assertThat(track.out()).contains("public.customers: change tracking installed on the primary database",
                "public.customers: change tracking cannot prove completeness (no tracked run from the primary database"
                        + " yet): comparing in full");

        // plain SQL, updated_at untouched
        db.execute(Node.PRIMARY, "update customers set name = 'renamed' where id <= 5", "delete from customers where id = 300");
        Cli next = Cli.run(env(), "sync", "--to", "secondary", "--tables", "customers");
        assertThat(next.exitCode()).as(next.toString()).isZero();
        assertThat(next.out()).contains("public.customers: 5 changed rows copied, 1 deleted (change tracking)")
                .doesNotContain("comparing in full");
        assertThat(Cli.run(env(), "verify", "--tables", "customers", "--quiet").out()).contains("identical");
    }

    @Test
    void syncWithTrackOnADatabaseWithoutTheLibraryTablesSaysToMigrate() throws Exception {
        db.execute(Node.PRIMARY, "create table t (id int primary key)");
        db.execute(Node.SECONDARY, "create table t (id int primary key)");

        Cli track = Cli.run(env(), "sync", "--to", "secondary", "--track");

        assertThat(track.exitCode()).as(track.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(track.err()).contains("Change tracking is not installed in the primary database postgresql://app:***@",
                "run `redundancy migrate` first").doesNotContain(SyncTestSupport.PASSWORD);
        assertThat(track.err().strip().lines()).hasSize(1);
    }

    @Test
    void statusFailoverAndFailbackMoveTheActiveDatabaseWithAGrowingEpoch() {
        Cli migrate = Cli.run(env(), "migrate");
        assertThat(migrate.exitCode()).as(migrate.toString()).isZero();
        Cli status = Cli.run(env(), "status", "--json");
        assertThat(status.exitCode()).as(status.toString()).isZero();
        assertThat(status.out()).contains("\"status\":\"healthy\"", "\"activeDatabase\":\"primary\"", "\"redundancy\":true")
                .contains("\"url\":\"postgresql://app:***@127.0.0.1:").doesNotContain(SyncTestSupport.PASSWORD);

        Cli failover = Cli.run(env(), "failover");
        assertThat(failover.exitCode()).as(failover.toString()).isZero();
        assertThat(failover.out()).contains("active database is now the secondary (epoch 1); lease written to primary and secondary");
        assertThat(Cli.run(env(), "status", "--json").out()).contains("\"activeDatabase\":\"secondary\"", "\"epoch\":1");

        Cli failback = Cli.run(env(), "failback");
        assertThat(failback.out()).contains("active database is now the primary (epoch 2)");
        assertThat(Cli.run(env(), "status").out()).contains("status: healthy, active database: primary");
    }

    @Test
    void failoverOnADatabaseWithoutTheLibraryTablesSaysToMigrate() {
        Cli failover = Cli.run(env(), "failover");

        assertThat(failover.exitCode()).as(failover.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(failover.errLines()).hasSize(1);
        assertThat(failover.err()).contains("the primary database", "has no lease table", "run: redundancy migrate");
    }

    @Test
    void checkPassesOnHealthyDatabasesAndNamesWhatIsMissing() {
        Cli check = Cli.run(env(), "check");

        assertThat(check.exitCode()).as(check.toString()).isZero();
        assertThat(check.out()).contains("primary: postgresql://app:***@127.0.0.1:", "[ok  ] dns", "[ok  ] tcp",
                "[ok  ] auth", "[ok  ] version    PostgreSQL 17", "[ok  ] latency", "[ok  ] privileges",
                "[WARN] tables     library tables missing: redundancy_sync_state, redundancy_lease, databasechangelog"
                        + " -> run: redundancy migrate");
        assertThat(check.out()).as("no TLS advice for this machine's loopback").doesNotContain("sslmode    ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "?sslmode=disable", "?sslmode=prefer", "?sslmode=require", "?sslmode=verify-ca"})
    void checkWarnsWhenARemoteHostsSslmodeIsWeakerThanVerifyFullAndGivesTheFix(String query) {
        Cli check = Cli.run(Map.of("DATABASE_URL", "postgresql://app:pw12@db.example.invalid:5432/app" + query), "check");

        String mode = query.isEmpty() ? "prefer (the default)" : query.substring("?sslmode=".length());
        assertThat(check.out()).as(check.toString()).contains("[WARN] sslmode    " + mode + " for db.example.invalid: ")
                .contains("the server's certificate and host name are not checked")
                .contains("-> add ?sslmode=verify-full&sslrootcert=/path/to/root.crt to the URL");
    }

    @Test
    void checkAcceptsVerifyFullForARemoteHost() {
        Cli full = Cli.run(Map.of("DATABASE_URL", "postgresql://app:pw12@db.example.invalid:5432/app"
                + "?sslmode=verify-full&sslrootcert=/etc/ssl/root.crt"), "check");
        Cli ssl = Cli.run(Map.of("DATABASE_URL", "jdbc:postgresql://db.example.invalid:5432/app?ssl=true"), "check");

        assertThat(full.out()).as(full.toString()).contains("[ok  ] sslmode    verify-full").doesNotContain("[WARN] sslmode");
        assertThat(ssl.out()).as(ssl.toString()).contains("[ok  ] sslmode    verify-full").doesNotContain("[WARN] sslmode");
    }

    @ParameterizedTest
    @ValueSource(strings = {"status", "check", "failover", "failback", "sync --to secondary", "sync --to primary --full",
            "verify", "repair --to secondary", "sequences --to primary", "migrate"})
    void everyCommandFailsWithExitCode3AndOneLineWhenTheServerIsUnreachable(String command) {
        String dead = "postgresql://app:" + SyncTestSupport.PASSWORD + "@127.0.0.1:" + SyncTestSupport.closedPort() + "/app";
        Cli cli = Cli.run(Map.of("DATABASE_URL", dead, "DATABASE_URL_SECONDARY", dead), command.split(" "));

        assertThat(cli.exitCode()).as(cli.toString()).isEqualTo(ExitCodes.CONNECTION);
        assertThat(cli.out() + cli.err()).doesNotContain(SyncTestSupport.PASSWORD);
        if (command.equals("status") || command.equals("check")) {
            assertThat(cli.out()).containsAnyOf("refused", "ECONNREFUSED");
        } else {
            assertThat(cli.errLines()).as(cli.toString()).hasSize(1);
            assertThat(cli.err()).startsWith("redundancy: ").contains("refused")
                    .contains("start PostgreSQL, or fix the port");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"status", "check", "failover", "sync --to secondary", "verify", "repair --to primary",
            "sequences --to secondary", "migrate"})
    void everyCommandFailsWithExitCode3AndOneLineOnAWrongPassword(String command) {
        String wrong = "hunter2-wrong";
        Map<String, String> env = Map.of(
                "DATABASE_URL", db.url(Node.PRIMARY).replace(SyncTestSupport.PASSWORD, wrong),
                "DATABASE_URL_SECONDARY", db.url(Node.SECONDARY).replace(SyncTestSupport.PASSWORD, wrong));
        Cli cli = Cli.run(env, command.split(" "));

        assertThat(cli.exitCode()).as(cli.toString()).isEqualTo(ExitCodes.CONNECTION);
        assertThat(cli.out() + cli.err()).doesNotContain(wrong).contains("password authentication failed");
        if (!command.equals("status") && !command.equals("check")) {
            assertThat(cli.errLines()).as(cli.toString()).hasSize(1);
            assertThat(cli.err()).contains("check the credentials in the URL");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"status", "check", "failover", "failback", "sync", "verify", "repair", "sequences", "migrate"})
    void everyCommandRejectsABadOptionWithExitCode2AndOneLine(String command) {
        Cli cli = Cli.run(env(), command, "--no-such-option");

        assertThat(cli.exitCode()).as(cli.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(cli.errLines()).as(cli.toString()).hasSize(1);
        assertThat(cli.err()).contains("--no-such-option").contains("redundancy " + command + " --help");
    }

    @ParameterizedTest
    @ValueSource(strings = {"status", "check", "failover", "failback", "sync", "verify", "repair", "sequences", "migrate"})
    void everyCommandHasHelp(String command) {
        Cli cli = Cli.run(env(), command, "--help");

        assertThat(cli.exitCode()).isZero();
        assertThat(cli.out()).startsWith("Usage: redundancy " + command).contains("--primary=URL", "--config=FILE");
    }

    @Test
    void aTableMissingOnTheTargetStopsSyncWithExitCode4AndOneLine() throws Exception {
        db.execute(Node.PRIMARY, "create table only_here (id int primary key)");

        Cli sync = Cli.run(env(), "sync", "--to", "secondary", "--full");
        Cli unknown = Cli.run(env(), "verify", "--tables", "nope");

        assertThat(sync.exitCode()).as(sync.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(sync.errLines()).containsExactly("redundancy: Table public.only_here is missing in the secondary database;"
                + " create the schema there first (redundancy migrate)");
        assertThat(unknown.exitCode()).isEqualTo(ExitCodes.FAILURE);
        assertThat(unknown.errLines()).hasSize(1);
        assertThat(unknown.err()).contains("Table 'nope' does not exist in the source database");
    }

    @Test
    void aBadUrlOrMissingSecondaryIsAConfigurationErrorWithExitCode2() {
        Cli bad = Cli.run(Map.of(), "verify", "--primary", "mysql://root:pw1234@host/db", "--secondary", "x");
        Cli noSecondary = Cli.run(Map.of("DATABASE_URL", db.url(Node.PRIMARY)), "sync", "--to", "secondary");
        Cli noConfig = Cli.run(Map.of(), "status", "--config", "/nonexistent/redundancy.properties");

        assertThat(bad.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.errLines()).hasSize(1);
        assertThat(bad.err()).contains("hibernate.redundancy.primary.url").doesNotContain("pw1234");
        assertThat(noSecondary.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(noSecondary.err()).contains("No secondary database");
        assertThat(noConfig.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(noConfig.err()).contains("Config file /nonexistent/redundancy.properties does not exist");
    }

    @Test
    void aPasswordTheCommandWasGivenIsMaskedEvenWhereNoUrlCarriesIt() {
        String pw = "Kx7Qp&Vb3Wm";
        Map<String, String> env = Map.of("DATABASE_URL", "jdbc:postgresql://127.0.0.1:1/app?user=app&password="
                + java.net.URLEncoder.encode(pw, java.nio.charset.StandardCharsets.UTF_8));

        // pasted where an option belongs: picocli names the stray argument
        Cli stray = Cli.run(env, "status", pw);
        Cli strayEncoded = Cli.run(env, "status", "Kx7Qp%26Vb3Wm");

        assertThat(stray.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(stray.err()).contains("***").doesNotContain(pw);
        assertThat(strayEncoded.err()).contains("***").doesNotContain("Kx7Qp%26Vb3Wm");
    }
}
