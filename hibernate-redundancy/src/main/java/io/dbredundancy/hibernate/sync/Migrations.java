package io.dbredundancy.hibernate.sync;

import liquibase.Liquibase;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.resource.ClassLoaderResourceAccessor;

import java.sql.Connection;

/**
 * Applies a Liquibase changelog to one database, under that database's own Liquibase lock. Uses only the API
 * that Liquibase 4.33 and 5.x share.
 */
public final class Migrations {

    /** The library's own tables: journal, conflicts, sync state, lease. */
    public static final String LIBRARY_CHANGELOG = "db/redundancy/changelog.xml";

    private Migrations() {
    }

    /**
     * Applies {@code changelog} (a classpath resource) on {@code connection}. The connection is left open.
     *
     * @throws Exception Liquibase's error, for the caller to report with the database's name
     */
    @SuppressWarnings("deprecation")
    public static void apply(Connection connection, String changelog, ClassLoader loader) throws Exception {
        Database db = DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(connection));
        // not closed: closing Liquibase would close the caller's connection
        Liquibase liquibase = new Liquibase(changelog, new ClassLoaderResourceAccessor(loader), db);
        liquibase.update("");
    }
}
