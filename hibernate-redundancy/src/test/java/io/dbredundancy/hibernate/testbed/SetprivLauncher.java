package io.dbredundancy.hibernate.testbed;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Fallback for root without user namespaces: PostgreSQL refuses to run as root, so initdb, pg_ctl and the
 * server run as {@code nobody:nogroup} through {@code setpriv}, with the data directory chowned to it.
 */
final class SetprivLauncher {

    static final List<String> PREFIX = List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups");

    private SetprivLauncher() {
    }

    /**
     * The PostgreSQL binaries, unpacked by zonky: constructing an {@link EmbeddedPostgres} unpacks them into its
     * working directory before running initdb (which then fails as root; that failure is expected here).
     */
    static Path binaries(Path baseDir) throws IOException {
        Path work = Path.of(System.getProperty("java.io.tmpdir"), "embedded-pg-setpriv");
        Files.createDirectories(work);
        Optional<Path> found = find(work);
        if (found.isEmpty()) {
            try (EmbeddedPostgres ignored = EmbeddedPostgres.builder()
                    .setOverrideWorkingDirectory(work.toFile())
                    .setDataDirectory(baseDir.resolve("zonky-probe"))
                    .setRegisterShutdownHook(false)
                    .setPGStartupWait(Duration.ofSeconds(1))
                    .start()) {
                // not expected to get here as root; harmless if it does
            } catch (Exception expected) {
                // initdb refused as root: the binaries are unpacked nonetheless
            }
            PgServer.deleteTree(baseDir.resolve("zonky-probe"));
            found = find(work);
        }
        Path bin = found.orElseThrow(() -> new IOException("zonky did not unpack the PostgreSQL binaries under " + work));
        Proc.run(List.of("chmod", "-R", "a+rX", work.toString()), Duration.ofSeconds(30), null);
        return bin;
    }

    private static Optional<Path> find(Path work) throws IOException {
        try (Stream<Path> dirs = Files.list(work)) {
            return dirs.map(d -> d.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("pg_ctl")) && Files.isExecutable(b.resolve("initdb")))
                    .findFirst();
        }
    }

    static void initdb(Path binDir, Path baseDir, Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        Proc.run(List.of("chmod", "755", baseDir.toString()), Duration.ofSeconds(5), null);
        Proc.run(List.of("chown", "-R", "nobody:nogroup", baseDir.toString()), Duration.ofSeconds(10), null);
        List<String> cmd = new ArrayList<>(PREFIX);
        cmd.addAll(List.of(binDir.resolve("initdb").toString(), "-A", "trust", "-U", "postgres",
                "-D", dataDir.toString(), "-E", "UTF-8", "--no-sync"));
        Proc.run(cmd, Duration.ofSeconds(120), baseDir.resolve("server.log"));
    }
}
