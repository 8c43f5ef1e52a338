package io.dbredundancy.hibernate.cli;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.sync.SyncTestSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A full sync whose CLI process is killed with SIGKILL half-way resumes on the next run and ends identical. */
class FullSyncResumeTest {

    private static SyncTestSupport db;

    @BeforeAll
    static void start() throws Exception {
        db = SyncTestSupport.shared();
    }


    @Test
    void aFullSyncKilledHalfWayResumesAndEndsIdentical() throws Exception {
        db.reset();
        SyncTestSupport.createSchema(db, Node.PRIMARY, Node.SECONDARY);
        SyncTestSupport.fill(db, Node.PRIMARY);
        Path log = Files.createTempFile("redundancy-cli", ".log");
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("-Dio.dbredundancy.sync.tableDelayMs=20000");
        cmd.add(RedundancyCli.class.getName());
        cmd.addAll(List.of("sync", "--to", "secondary", "--full", "--parallelism", "1"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("DATABASE_URL", db.url(Node.PRIMARY));
        pb.environment().put("DATABASE_URL_SECONDARY", db.url(Node.SECONDARY));
        Process child = pb.start();
        long done;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            do {
                Thread.sleep(100);
                done = doneTables();
            } while ((done < 1 || !secondTableHalfWritten()) && child.isAlive() && System.nanoTime() < deadline);
            assertThat(done).as(Files.readString(log)).isEqualTo(1);
            assertThat(secondTableHalfWritten()).as(Files.readString(log)).isTrue();
        } finally {
            child.destroyForcibly();   // SIGKILL: no shutdown hook, no rollback from the client side
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(db.queryString(Node.SECONDARY,
                "select status from redundancy_sync_state where task = 'full' and table_name = '*'")).isEqualTo("running");
        assertThat(db.queryLong(Node.SECONDARY, "select count(*) from customers")).isEqualTo(20_000);
        assertThat(db.queryLong(Node.SECONDARY, "select count(*) from events")).isZero();

        Cli resumed = Cli.run(Map.of("DATABASE_URL", db.url(Node.PRIMARY),
                "DATABASE_URL_SECONDARY", db.url(Node.SECONDARY)), "sync", "--to", "secondary", "--full");

        assertThat(resumed.exitCode()).as(resumed.toString()).isZero();
        assertThat(resumed.out()).contains("resuming an interrupted full sync: 1 of 4 tables already copied",
                "(1 already done by an interrupted run)");
        assertThat(resumed.out()).doesNotContain("public.customers: 20000 rows copied");
        Cli verify = Cli.run(Map.of("DATABASE_URL", db.url(Node.PRIMARY),
                "DATABASE_URL_SECONDARY", db.url(Node.SECONDARY)), "verify");
        assertThat(verify.exitCode()).as(verify.toString()).isZero();
        assertThat(db.queryString(Node.SECONDARY,
                "select status from redundancy_sync_state where task = 'full' and table_name = '*'")).isEqualTo("done");
        new File(log.toString()).delete();
    }

    /** The child has copied the second table's rows and holds its transaction open (the test hook's pause). */
    private static boolean secondTableHalfWritten() {
        try {
            return db.queryLong(Node.SECONDARY, "select count(*) from pg_stat_activity where datname = 'app'"
                    + " and application_name = 'db-redundancy-sync' and state = 'idle in transaction'"
                    + " and query like 'insert into redundancy_sync_state%'") > 0;
        } catch (Exception e) {
            return false;
        }
    }

    private static long doneTables() {
        try {
            return db.queryLong(Node.SECONDARY, "select count(*) from redundancy_sync_state where task = 'full'"
                    + " and table_name <> '*' and status = 'done'");
        } catch (Exception e) {
            return 0;   // the table is not there yet
        }
    }
}
