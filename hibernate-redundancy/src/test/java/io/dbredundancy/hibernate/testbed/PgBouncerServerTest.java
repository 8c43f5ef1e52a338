package io.dbredundancy.hibernate.testbed;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.SQLException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class PgBouncerServerTest {

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    /** Each test is reported as skipped, with the reason, when pgbouncer is missing (a failure under CI=true). */
    @org.junit.jupiter.api.BeforeEach
    void needsPgbouncer() {
        PgBouncerServer.require();
    }

    @Test
    void poolsTransactionsInFrontOfTheServerAndDiesOnKill9() throws Exception {
        try (PgBouncerServer bouncer = PgBouncerServer.start(pg.primary())) {
            String url = bouncer.jdbcUrl("postgres") + "?prepareThreshold=0";
            try (Connection c = PostgresPairTest.connection(url, pg.primary(), 5)) {
                assertThat(PostgresPairTest.query(c)).isEqualTo(pg.primary().port());
            }
            bouncer.kill9();
            assertThat(bouncer.isRunning()).isFalse();
            assertThatThrownBy(() -> PostgresPairTest.serverPort(url, pg.primary(), 2)).isInstanceOf(SQLException.class);
        }
    }
}
