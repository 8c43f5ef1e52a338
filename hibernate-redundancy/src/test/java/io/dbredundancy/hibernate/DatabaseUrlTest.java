package io.dbredundancy.hibernate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

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

    /** Two halves that appear nowhere else, around each character that used to end the user info too early. */
    private static String password(String special) {
        return "Kx7Qp" + special + "Vb3Wm";
    }

    private static String encoded(String password) {
        return URLEncoder.encode(password, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "?", "#", "@", ":", "%", "@/?#:%", "%2"})
    void aRawPasswordWithAnySpecialCharacterIsReadWhole(String special) {
        String pw = password(special);
        DatabaseUrl url = DatabaseUrl.parse("p", "postgresql://app:" + pw + "@127.0.0.1:5999/db?sslmode=require");

        assertThat(url.user()).isEqualTo("app");
        assertThat(url.password()).isEqualTo(pw);
        assertThat(url.host()).isEqualTo("127.0.0.1");
        assertThat(url.port()).isEqualTo(5999);
        assertThat(url.database()).isEqualTo("db");
        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5999/db?sslmode=require");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "?", "#", "@", ":", "%", "@/?#:%", "&", "="})
    void aPercentEncodedPasswordIsDecodedInTheUserInfoAndInTheQuery(String special) {
        String pw = password(special);
        DatabaseUrl userInfo = DatabaseUrl.parse("p", "postgresql://app:" + encoded(pw) + "@127.0.0.1:5999/db");
        DatabaseUrl query = DatabaseUrl.parse("p", "jdbc:postgresql://127.0.0.1:5999/db?user=app&password=" + encoded(pw));

        assertThat(userInfo.password()).isEqualTo(pw);
        assertThat(query.password()).isEqualTo(pw);
        assertThat(query.user()).isEqualTo("app");
        assertThat(query.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5999/db");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "?", "#", "@", ":", "%", "@/?#:%"})
    void aRawPasswordInAJdbcQueryIsReadWhole(String special) {
        String pw = password(special);
        DatabaseUrl url = DatabaseUrl.parse("p", "jdbc:postgresql://127.0.0.1:5999/db?user=app&password=" + pw
                + "&sslmode=disable");

        assertThat(url.password()).isEqualTo(pw);
        assertThat(url.host()).isEqualTo("127.0.0.1");
        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5999/db?sslmode=disable");
    }

    @Test
    void anAtSignInTheQueryOrTheUserNameIsNotTakenForTheEndOfTheUserInfo() {
        DatabaseUrl query = DatabaseUrl.parse("p", "postgresql://127.0.0.1:5999/db?application_name=me@laptop/x");
        DatabaseUrl azure = DatabaseUrl.parse("p", "postgresql://app@server:pw@127.0.0.1/db");

        assertThat(query.user()).isNull();
        assertThat(query.host()).isEqualTo("127.0.0.1");
        assertThat(query.parameters()).containsEntry("ApplicationName", "me@laptop/x");
        assertThat(azure.user()).isEqualTo("app@server");
        assertThat(azure.password()).isEqualTo("pw");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "?", "#", "@", ":", "%", "@/?#:%"})
    void maskHidesTheWholePasswordOfEveryFormInAnyText(String special) {
        String pw = password(special);
        String[] forms = {
                "postgresql://app:" + pw + "@127.0.0.1:5999/db",
                "postgresql://app:" + encoded(pw) + "@127.0.0.1:5999/db?sslmode=require",
                "jdbc:postgresql://app:" + pw + "@127.0.0.1:5999/db",
                "jdbc:postgresql://127.0.0.1:5999/db?user=app&password=" + pw,
                "jdbc:postgresql://127.0.0.1:5999/db?password=" + encoded(pw) + "&user=app"};
        for (String form : forms) {
            String text = "Cannot connect to '" + form + "': Connection refused; see \"" + form + "\"";
            assertThat(DatabaseUrl.mask(text)).as(form).doesNotContain("Kx7Qp").doesNotContain("Vb3Wm")
                    .contains("127.0.0.1").contains("***");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql://app:Kx7Qp/Vb3Wm@127.0.0.1:99999/db",
            "postgresql://app:Kx7Qp?Vb3Wm@127.0.0.1:5999",
            "postgresql://app:Kx7Qp@Vb3Wm@/db",
            "postgresql://app:Kx7Qp/Vb3Wm",
            "postgresql://app:Kx7Qp#Vb3Wm@bad_host!:5432/db",
            "jdbc:postgresql://127.0.0.1:99999/db?user=app&password=Kx7Qp@Vb3Wm",
            "jdbc:mysql://app:Kx7Qp/Vb3Wm@127.0.0.1/db"})
    void aMalformedUrlIsOneLineNamingThePropertyWithoutAnyPartOfThePassword(String value) {
        assertThatThrownBy(() -> DatabaseUrl.parse("hibernate.redundancy.primary.url", value))
                .isInstanceOf(RedundancyConfigException.class)
                .hasMessageStartingWith("hibernate.redundancy.primary.url ")
                .hasMessageNotContaining("Kx7Qp").hasMessageNotContaining("Vb3Wm").hasMessageNotContaining("\n");
    }
}
