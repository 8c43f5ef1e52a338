package io.dbredundancy.hibernate.lease;

import io.dbredundancy.hibernate.sync.Migrations;
import io.dbredundancy.hibernate.testbed.PgServer;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The {@link Ping} table on a test server: a trigger stamps each row with the port and the time of the server that
 * took the insert (kept as they are when the relay copies the row), and the library's tables (journal, lease).
 */
final class PingTable {

    private PingTable() {
    }

    static void create(PgServer server, String database) throws Exception {
        server.createDatabase(database);
        try (Connection c = server.connect(database); Statement st = c.createStatement()) {
            st.execute("create table ping (id uuid primary key, instance text not null, seq bigint not null,"
                    + " db_port int, db_time timestamptz)");
            st.execute("create function ping_stamp() returns trigger language plpgsql as $$ begin"
                    + " if new.db_port is null then new.db_port := inet_server_port(); new.db_time := clock_timestamp();"
                    + " end if; return new; end $$");
            st.execute("create trigger ping_stamp before insert on ping for each row execute function ping_stamp()");
            Migrations.apply(c, Migrations.LIBRARY_CHANGELOG, PingTable.class.getClassLoader());
        }
    }

    /** Rows {@code server} took itself after its lease was changed to name the other database. */
    static int writesWhileDemoted(PgServer server, String database, String other) throws SQLException {
        try (Connection c = server.connect(database); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select count(*) from ping, redundancy_lease l where l.id = 1"
                     + " and l.active_node = '" + other + "' and db_port = inet_server_port() and db_time > l.updated_at")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
