package io.dbredundancy.hibernate.testbed;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.junit.jupiter.Testcontainers;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Docker engine of the bed (used off Linux or with -Dtestbed.launch=DOCKER): the same faults, for real. */
@Testcontainers(disabledWithoutDocker = true)
@Timeout(180)
class DockerPgServerTest {

    @Test
    void killPauseAndRestartAContainerKeepingItsPortAndData() throws Exception {
        try (PgServer server = PgServer.start("docker", PgServer.Launch.DOCKER)) {
            PostgresPairTest.exec(server, "CREATE TABLE kept(id int)", "INSERT INTO kept VALUES (7)");

            server.freeze();
            assertThatThrownBy(() -> PostgresPairTest.serverPort(server.jdbcUrl(), server, 1)).isInstanceOf(SQLException.class);
            server.thaw();

            server.kill9();
            assertThat(server.isRunning()).isFalse();
            assertThatThrownBy(() -> PostgresPairTest.serverPort(server.jdbcUrl(), server, 2)).isInstanceOf(SQLException.class);

            server.restart();
            try (Connection c = server.connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT id FROM kept")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(7);
            }
        }
    }
}
