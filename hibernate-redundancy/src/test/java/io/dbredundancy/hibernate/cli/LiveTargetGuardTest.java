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

/**
 * sync and repair refuse, without --force, to overwrite the database the lease names active, and one whose journal
 * holds changes the other database has not received; the refusal says why and what to run instead.
 */
class LiveTargetGuardTest {

    private static SyncTestSupport db;

    @BeforeAll
    static void start() throws Exception {
        db = SyncTestSupport.shared();
    }

    @BeforeEach
    void twoDatabasesWithTheirOwnRows() throws Exception {
        db.reset();
        assertThat(Cli.run(env(), "migrate").exitCode()).isZero();
        assertThat(Cli.run(env(), "migrate", "--changelog", "db/demo/changelog.xml").exitCode()).isZero();
        db.execute(Node.PRIMARY, "insert into customers (id, email, name) values (1, 'p@x.org', 'on the primary')");
        db.execute(Node.SECONDARY, "insert into customers (id, email, name) values (2, 's@x.org', 'on the secondary')");
    }

    private static Map<String, String> env() {
        return Map.of("DATABASE_URL", db.url(Node.PRIMARY), "DATABASE_URL_SECONDARY", db.url(Node.SECONDARY));
    }

    private static long rows(Node node, long id) throws Exception {
        return db.queryLong(node, "select count(*) from customers where id = " + id);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sync --to secondary", "sync --to secondary --full", "repair --to secondary"})
    void refusesToWriteIntoTheDatabaseTheLeaseNamesActive(String command) throws Exception {
        assertThat(Cli.run(env(), "failover").exitCode()).isZero();

        Cli cli = Cli.run(env(), command.split(" "));

        assertThat(cli.exitCode()).as(cli.toString()).isEqualTo(ExitCodes.REFUSED);
        assertThat(cli.errLines()).as(cli.toString()).hasSize(1);
        assertThat(cli.err()).startsWith("redundancy: redundancy " + command + " refused: the lease names the secondary"
                        + " database active (epoch 1, by redundancy-cli@")
                .contains("the applications write there now")
                .contains("to bring the primary up to date run: redundancy " + command.replace("secondary", "primary"))
                .contains("make the primary active first (redundancy failback)", "or add --force");
        assertThat(rows(Node.SECONDARY, 2)).as("the live database is untouched").isEqualTo(1);
        assertThat(rows(Node.SECONDARY, 1)).isZero();
    }

    @Test
    void theStandbyIsWrittenWhileTheLeaseNamesTheOtherDatabase() throws Exception {
        assertThat(Cli.run(env(), "failover").exitCode()).isZero();

        Cli toStandby = Cli.run(env(), "sync", "--to", "primary", "--full", "--quiet");

        assertThat(toStandby.exitCode()).as(toStandby.toString()).isZero();
        assertThat(rows(Node.PRIMARY, 2)).isEqualTo(1);
        assertThat(rows(Node.PRIMARY, 1)).isZero();
    }

    @Test
    void forceOverwritesTheDatabaseTheLeaseNamesActive() throws Exception {
        assertThat(Cli.run(env(), "failover").exitCode()).isZero();

        Cli full = Cli.run(env(), "sync", "--to", "secondary", "--full", "--force", "--quiet");
        db.execute(Node.SECONDARY, "update customers set name = 'changed' where id = 1");
        Cli repair = Cli.run(env(), "repair", "--to", "secondary", "--force", "--quiet");

        assertThat(full.exitCode()).as(full.toString()).isZero();
        assertThat(repair.exitCode()).as(repair.toString()).isZero();
        assertThat(rows(Node.SECONDARY, 2)).isZero();
        assertThat(db.queryString(Node.SECONDARY, "select name from customers where id = 1")).isEqualTo("on the primary");
    }

    @ParameterizedTest
    @ValueSource(strings = {"sync --to secondary", "sync --to secondary --full", "repair --to secondary"})
    void refusesToOverwriteADatabaseWhoseJournalHoldsChangesTheOtherHasNotReceived(String command) throws Exception {
        // what the capture leaves when the secondary took a write that its relay has not yet applied to the primary
        db.execute(Node.SECONDARY, "insert into redundancy_journal (tx_id, epoch, origin, table_name, op, row_key,"
                + " row_image) values (1, 1, 'secondary', 'public.customers', 'I', '{\"id\": 2}',"
                + " '{\"id\": 2, \"email\": \"s@x.org\", \"name\": \"on the secondary\"}')");

        Cli cli = Cli.run(env(), command.split(" "));
        Cli toPrimary = Cli.run(env(), "sync", "--to", "primary", "--quiet");

        assertThat(cli.exitCode()).as(cli.toString()).isEqualTo(ExitCodes.REFUSED);
        assertThat(cli.errLines()).as(cli.toString()).hasSize(1);
        assertThat(cli.err()).startsWith("redundancy: redundancy " + command + " refused: the secondary database's"
                        + " journal holds 1 change(s) taken there (the oldest at ")
                .contains("that the primary has not received yet; the overwrite would lose them")
                .contains("let a running application's relay apply them (redundancy status: mirror pending)")
                .contains("redundancy " + command.replace("secondary", "primary"), "or add --force to overwrite it anyway");
        assertThat(rows(Node.SECONDARY, 2)).isEqualTo(1);
        assertThat(toPrimary.exitCode()).as("the other direction is free: " + toPrimary).isZero();
    }

    @Test
    void forceOverwritesADatabaseWhoseJournalHoldsChanges() throws Exception {
        db.execute(Node.SECONDARY, "insert into redundancy_journal (tx_id, epoch, origin, table_name, op, row_key,"
                + " row_image) values (1, 1, 'secondary', 'public.customers', 'I', '{\"id\": 2}', null)");

        Cli full = Cli.run(env(), "sync", "--to", "secondary", "--full", "--force", "--quiet");

        assertThat(full.exitCode()).as(full.toString()).isZero();
        assertThat(rows(Node.SECONDARY, 2)).isZero();
        assertThat(rows(Node.SECONDARY, 1)).isEqualTo(1);
    }
}
