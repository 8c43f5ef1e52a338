package io.dbredundancy.hibernate.cli;

import io.dbredundancy.hibernate.NodeConfig;
import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.sync.Endpoint;
import io.dbredundancy.hibernate.sync.Migrations;
import io.dbredundancy.hibernate.sync.SchemaMigrator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = {"Applies a Liquibase changelog to the primary, then to the secondary, each under its own lock.",
                "Default: the library's own tables (db/redundancy/changelog.xml)."})
final class MigrateCommand extends DbCommand {

    @Option(names = "--changelog", paramLabel = "PATH",
            description = "Changelog on the classpath (db/demo/changelog.xml) or a file (default: ${DEFAULT-VALUE})")
    String changelog = Migrations.LIBRARY_CHANGELOG;

    @Override
    public Integer call() {
        RedundancyConfig c = config();
        List<Endpoint> endpoints = new ArrayList<>();
        endpoints.add(Endpoint.of(c.primary()));
        c.secondary().map(Endpoint::of).ifPresent(endpoints::add);
        SchemaMigrator migrator = new SchemaMigrator();
        for (Endpoint e : endpoints) {
            migrator.migrateBoth(changelog, List.of(e));
            root.out.println("migrated the " + e.node().id() + " database (" + e.display() + ") with " + changelog);
        }
        return ExitCodes.OK;
    }

    static String display(NodeConfig n) {
        return n.displayUrl();
    }
}
