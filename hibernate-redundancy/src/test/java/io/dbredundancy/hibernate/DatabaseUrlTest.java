package io.dbredundancy.hibernate;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DatabaseUrlTest {

    @Test
    void parsesTheFormNeonPrintsAndMovesCredentialsOutOfTheUrl() {
        DatabaseUrl url = DatabaseUrl.parse("p", "postgresql://app:s3cr%40t@ep-cool-1234-pooler.eu-central-1.aws.neon.tech/neondb?sslmode=require&channel_binding=require");
        assertThat(url.user()).isEqualTo("app");
        assertThat(url.password()).isEqualTo("s3cr@t");
        assertThat(url.pooler()).isTrue();
        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://ep-cool-1234-pooler.eu-central-1.aws.neon.tech/neondb"
                + "?sslmode=require&channelBinding=require&prepareThreshold=0");
        assertThat(url.toString()).isEqualTo("postgresql://app:***@ep-cool-1234-pooler.eu-central-1.aws.neon.tech:5432/neondb");
    }

    @Test
    void parsesJdbcUrlsWithCredentialsInTheQuery() {
        DatabaseUrl url = DatabaseUrl.parse("p", "jdbc:postgresql://db.local:6432/app?user=u&password=pw&pgbouncer=true");
        assertThat(url.user()).isEqualTo("u");
        assertThat(url.password()).isEqualTo("pw");
        assertThat(url.port()).isEqualTo(6432);
        assertThat(url.pooler()).isTrue();
        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db.local:6432/app?prepareThreshold=0");
    }

    @Test
    void rejectsMalformedUrlsWithoutShowingThePassword() {
        assertThatThrownBy(() -> DatabaseUrl.parse("hibernate.redundancy.primary.url", "mysql://root:hunter2@h/db"))
                .isInstanceOf(RedundancyConfigException.class)
                .hasMessageContaining("hibernate.redundancy.primary.url")
                .hasMessageNotContaining("hunter2");
    }
}
