package io.dbredundancy.hibernate;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Every connection-string form Neon's console prints parses to a credential-free JDBC URL pgjdbc accepts. */
class NeonUrlFormsTest {

    private static final String POOLER = "ep-x-123456-pooler.eu-central-1.aws.neon.tech";
    private static final String DIRECT = "ep-x-123456.eu-central-1.aws.neon.tech";

    private static DatabaseUrl parse(String url) {
        return DatabaseUrl.parse(RedundancySettings.PRIMARY_URL, url);
    }

    private static void assertMasked(DatabaseUrl url, String password) {
        assertThat(url.toString()).doesNotContain(password).contains(":***@");
        assertThat(url.jdbcUrl()).doesNotContain(password);
    }

    @Test
    void poolerHostTurnsServerSidePreparedStatementsOff() {
        DatabaseUrl url = parse("postgresql://alex:AbC123dEf@" + POOLER + "/neondb?sslmode=require&channel_binding=require");
        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://" + POOLER + "/neondb"
                + "?sslmode=require&channelBinding=require&prepareThreshold=0");
        assertThat(url.user()).isEqualTo("alex");
        assertThat(url.password()).isEqualTo("AbC123dEf");
        assertThat(url.pooler()).isTrue();
        assertThat(url.port()).isEqualTo(5432);
        assertThat(url.toString()).isEqualTo("postgresql://alex:***@" + POOLER + ":5432/neondb");
        assertMasked(url, "AbC123dEf");
    }

    @Test
    void directHostKeepsPreparedStatements() {
        DatabaseUrl url = parse("postgresql://alex:AbC123dEf@" + DIRECT + "/neondb?sslmode=require&channel_binding=require");
        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://" + DIRECT + "/neondb?sslmode=require&channelBinding=require");
        assertThat(url.user()).isEqualTo("alex");
        assertThat(url.password()).isEqualTo("AbC123dEf");
        assertThat(url.pooler()).isFalse();
        assertMasked(url, "AbC123dEf");
    }

    @Test
    void postgresSchemeIsAcceptedLikePostgresql() {
        DatabaseUrl url = parse("postgres://alex:AbC123dEf@" + POOLER + "/neondb?sslmode=require");
        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://" + POOLER + "/neondb?sslmode=require&prepareThreshold=0");
        assertThat(url.user()).isEqualTo("alex");
        assertThat(url.password()).isEqualTo("AbC123dEf");
        assertThat(url.pooler()).isTrue();
        assertMasked(url, "AbC123dEf");
    }

    @Test
    void endpointOptionForClientsWithoutSniReachesTheDriverEncoded() {
        DatabaseUrl url = parse("postgresql://alex:AbC123dEf@" + DIRECT + "/neondb?sslmode=require&options=endpoint%3Dep-x-123456");
        // pgjdbc decodes each query value once: the '=' inside the value must stay escaped
        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://" + DIRECT + "/neondb?sslmode=require"
                + "&options=endpoint%3Dep-x-123456");
        assertThat(url.parameters()).containsEntry("options", "endpoint=ep-x-123456");
        assertThat(org.postgresql.Driver.parseURL(url.jdbcUrl(), null).getProperty("options"))
                .isEqualTo("endpoint=ep-x-123456");
        assertThat(url.pooler()).isFalse();
        assertMasked(url, "AbC123dEf");
    }

    @Test
    void jdbcFormWithCredentialsInTheQuery() {
        DatabaseUrl url = parse("jdbc:postgresql://" + POOLER + "/neondb?user=alex&password=AbC123dEf&sslmode=require");
        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://" + POOLER + "/neondb?sslmode=require&prepareThreshold=0");
        assertThat(url.user()).isEqualTo("alex");
        assertThat(url.password()).isEqualTo("AbC123dEf");
        assertThat(url.pooler()).isTrue();
        assertMasked(url, "AbC123dEf");
        assertThat(DatabaseUrl.mask("jdbc:postgresql://" + POOLER + "/neondb?user=alex&password=AbC123dEf"))
                .doesNotContain("AbC123dEf").contains("password=***");
    }

    @Test
    void percentEncodedSpecialCharactersInThePasswordAreDecoded() {
        String raw = "p@ss:w/rd?#%&=+ é";
        DatabaseUrl url = parse("postgresql://alex:p%40ss%3Aw%2Frd%3F%23%25%26%3D%2B%20%C3%A9@" + POOLER
                + "/neondb?sslmode=require");
        assertThat(url.password()).isEqualTo(raw);
        assertThat(url.user()).isEqualTo("alex");
        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://" + POOLER + "/neondb?sslmode=require&prepareThreshold=0");
        assertThat(url.toString()).isEqualTo("postgresql://alex:***@" + POOLER + ":5432/neondb");
        assertThat(DatabaseUrl.mask("postgresql://alex:p%40ss%3Aw%2Frd@" + POOLER + "/neondb"))
                .isEqualTo("postgresql://alex:***@" + POOLER + "/neondb");
    }

    @Test
    void explicitPortIsKept() {
        DatabaseUrl url = parse("postgresql://alex:AbC123dEf@" + POOLER + ":6543/neondb?sslmode=require");
        assertThat(url.port()).isEqualTo(6543);
        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://" + POOLER + ":6543/neondb?sslmode=require&prepareThreshold=0");
        assertThat(url.toString()).isEqualTo("postgresql://alex:***@" + POOLER + ":6543/neondb");
        assertThat(url.pooler()).isTrue();
    }

    @Test
    void pgbouncerFlagOnAnyHostMarksAPooler() {
        DatabaseUrl url = parse("postgresql://alex:AbC123dEf@127.0.0.1:6432/app?pgbouncer=true");
        assertThat(url.pooler()).isTrue();
        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:6432/app?prepareThreshold=0");
        assertThat(url.parameters()).doesNotContainKey("pgbouncer");
    }

    @Test
    void nodeConfigShowsTheMaskedUrlOnly() {
        RedundancyConfig c = RedundancyConfig.from(java.util.Map.of(RedundancySettings.PRIMARY_URL,
                "postgresql://alex:AbC123dEf@" + POOLER + "/neondb?sslmode=require&channel_binding=require"), java.util.Map.of());
        assertThat(c.primary().displayUrl()).isEqualTo("postgresql://alex:***@" + POOLER + ":5432/neondb");
        assertThat(c.primary().toString()).doesNotContain("AbC123dEf");
        assertThat(c.primary().pooler()).isTrue();
        assertThat(c.primary().password()).isEqualTo("AbC123dEf");
    }
}
