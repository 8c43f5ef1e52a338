package io.dbredundancy.benchmarks.mirror;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dbredundancy.hibernate.RedundancySettings;
import io.dbredundancy.hibernate.testbed.PgServer;
import jakarta.persistence.EntityManagerFactory;
import org.hibernate.jpa.HibernatePersistenceConfiguration;

/**
 * The four contestants of {@link MirrorBenchmark}. Each has a database of its own on both servers
 * ({@code mb_<id>}), so the journals and relays of {@code async} and {@code sync} never meet and every unit stays
 * open (warm) for the whole run.
 */
enum MirrorSide {

    /** Plain Hibernate + HikariCP on the primary alone: the reference. */
    PLAIN("plain", null),
    /** The plugin routing only: {@code mirror.mode=off}. */
    OFF("off", "off"),
    /** The plugin with {@code mirror.mode=async}: journal in the transaction, relay to the secondary. */
    ASYNC("async", "async"),
    /** The plugin with {@code mirror.mode=sync}: commit returns once the secondary has the change. */
    SYNC("sync", "sync"),
    /** The plugin with {@code mirror.mode=native}: PostgreSQL's logical replication carries the changes. */
    NATIVE("native", "native"),
    /**
     * Diagnosis of {@link #NATIVE}'s cost: the same, with its fence triggers disabled on the primary (what the writer
     * pays for the fence is the difference; the rest is logical decoding and the subscription's apply).
     */
    NATIVE_UNFENCED("unfenced", "native"),
    /**
     * The reference of {@link #NATIVE}'s lag: plain Hibernate + HikariCP on the primary, with a bare publication and
     * subscription (no plugin, no fence) between the same two servers.
     */
    BARE("bare", null);

    static final Class<?>[] ENTITIES = {BenchItem.class, BenchOrder.class, BenchOrderLine.class};

    private final String id;
    private final String mode;

    MirrorSide(String id, String mode) {
        this.id = id;
        this.mode = mode;
    }

    String id() {
        return id;
    }

    String database() {
        return "mb_" + id;
    }

    /** True for the sides whose changes a relay applies to the secondary. */
    boolean mirrored() {
        return this == ASYNC || this == SYNC;
    }

    /** True for the sides whose changes reach the secondary (a backlog and a drain time to report). */
    boolean replicated() {
        return mirrored() || probed();
    }

    /** True for the sides PostgreSQL's logical replication carries (their lag is read by a {@link ReplicationProbe}). */
    boolean probed() {
        return nativeMode() || this == BARE;
    }

    /** True for the sides on {@code mirror.mode=native}. */
    boolean nativeMode() {
        return this == NATIVE || this == NATIVE_UNFENCED;
    }

    /** The unit's name (the native objects are named after it). */
    String unit() {
        return "mirror-bench-" + id;
    }

    /** Creates this side's database and tables (Hibernate's schema export of {@link #ENTITIES}) on {@code server}. */
    void createSchema(PgServer server) {
        server.createDatabase(database());
        new HibernatePersistenceConfiguration("mirror-bench-ddl-" + id)
                .managedClasses(ENTITIES)
                .jdbcUrl(server.jdbcUrl(database())).jdbcCredentials(server.user(), server.password())
                .property(RedundancySettings.ROLE, "ddl")
                .property("hibernate.hbm2ddl.auto", "create")
                .createEntityManagerFactory().close();
    }

    /** Opens this side's unit; {@code plainPool} receives the HikariCP pool of {@link #PLAIN} (to close it). */
    EntityManagerFactory open(PgServer primary, PgServer secondary, int pool, HikariDataSource[] plainPool) {
        HibernatePersistenceConfiguration cfg = new HibernatePersistenceConfiguration(unit())
                .managedClasses(ENTITIES)
                .property("hibernate.hbm2ddl.auto", "none");
        if (mode == null) {
            HikariConfig hc = new HikariConfig();
            hc.setJdbcUrl(primary.jdbcUrl(database()));
            hc.setUsername(primary.user());
            hc.setPassword(primary.password());
            hc.setMaximumPoolSize(pool);
            hc.setPoolName("bench-" + id);
            plainPool[0] = new HikariDataSource(hc);
            cfg.property("hibernate.connection.datasource", plainPool[0]);
        } else {
            cfg.property("hibernate.multi_tenant_connection_provider", "io.dbredundancy.hibernate.routing.RedundantConnectionProvider")
                    .property("hibernate.tenant_identifier_resolver", "io.dbredundancy.hibernate.routing.ActiveNodeResolver")
                    .property(RedundancySettings.PRIMARY_URL, primary.jdbcUrl(database()))
                    .property(RedundancySettings.PRIMARY_USER, primary.user())
                    .property(RedundancySettings.PRIMARY_PASSWORD, primary.password())
                    .property(RedundancySettings.SECONDARY_URL, secondary.jdbcUrl(database()))
                    .property(RedundancySettings.SECONDARY_USER, secondary.user())
                    .property(RedundancySettings.SECONDARY_PASSWORD, secondary.password())
                    .property(RedundancySettings.POOL_MAX_SIZE, String.valueOf(pool))
                    .property(RedundancySettings.MIRROR_MODE, mode);
        }
        return cfg.createEntityManagerFactory();
    }
}
