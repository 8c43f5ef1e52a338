package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.cli.Cli;
import io.dbredundancy.hibernate.testbed.LogCapture;
import io.dbredundancy.hibernate.testbed.PgServer;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import jakarta.persistence.EntityManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A password holding {@code / ? # @ : %}, in every form a URL or a setting carries it, through every path that prints:
 * the library's start (its exception and its logs), the status JSON, and the command line's output. The right password
 * connects (the URL is read whole), and no output shows the password, nor either half of it.
 */
class NoSecretIsPrintedTest {

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    @RegisterExtension
    final LogCapture logs = new LogCapture();

    @TempDir
    Path dir;

    /** The characters that used to end the user info early; each has its own role, whose password holds it. */
    static final List<String> SPECIALS = List.of("/", "?", "#", "@", ":", "%", "@/?#:%");

    /** Halves that appear nowhere else: neither may be printed (the old parser printed what came before a '/'). */
    static final String[] RIGHT = {"Kx7Qp", "Vb3Wm"};
    static final String[] WRONG = {"Zr4Tn", "Hj6Lc"};

    enum Form {
        /** {@code postgresql://user:pa/ss@host/db}, the password as typed. */
        RAW_USER_INFO,
        /** {@code postgresql://user:pa%2Fss@host/db}. */
        ENCODED_USER_INFO,
        /** {@code jdbc:postgresql://user:pa/ss@host/db}. */
        JDBC_USER_INFO,
        /** {@code jdbc:postgresql://host/db?user=u&password=pa/ss}. */
        JDBC_QUERY_RAW,
        /** {@code jdbc:postgresql://host/db?user=u&password=pa%2Fss}. */
        JDBC_QUERY_ENCODED,
        /** a plain URL and {@code hibernate.redundancy.<node>.password} (the CLI reads it from {@code --config}). */
        PASSWORD_SETTING;

        /** The settings of {@code node} reaching {@code port} as {@code user} with {@code password}. */
        Map<String, String> settings(String node, int port, String user, String password, String database) {
            String p = "hibernate.redundancy." + node + ".";
            String hostDb = "127.0.0.1:" + port + "/" + database;
            String enc = URLEncoder.encode(password, StandardCharsets.UTF_8).replace("+", "%20");
            Map<String, String> s = new LinkedHashMap<>();
            switch (this) {
                case RAW_USER_INFO -> s.put(p + "url", "postgresql://" + user + ":" + password + "@" + hostDb);
                case ENCODED_USER_INFO -> s.put(p + "url", "postgresql://" + user + ":" + enc + "@" + hostDb);
                case JDBC_USER_INFO -> s.put(p + "url", "jdbc:postgresql://" + user + ":" + password + "@" + hostDb);
                case JDBC_QUERY_RAW -> s.put(p + "url", "jdbc:postgresql://" + hostDb + "?user=" + user + "&password="
                        + password + "&connectTimeout=5");
                case JDBC_QUERY_ENCODED -> s.put(p + "url", "jdbc:postgresql://" + hostDb + "?user=" + user
                        + "&password=" + enc);
                case PASSWORD_SETTING -> {
                    s.put(p + "url", "jdbc:postgresql://" + hostDb);
                    s.put(p + "user", user);
                    s.put(p + "password", password);
                }
            }
            return s;
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (Form f : Form.values()) {
            for (int i = 0; i < SPECIALS.size(); i++) {
                all.add(Arguments.of(f, i));
            }
        }
        return all.stream();
    }

    static String password(String[] halves, int special) {
        return halves[0] + SPECIALS.get(special) + halves[1];
    }

    static String role(int special) {
        return "sec" + special;
    }

    @BeforeAll
    static void roles() throws Exception {
        for (PgServer server : List.of(pg.primary(), pg.secondary())) {
            Jpa.prepare(server);
            try (Connection c = server.connect(); Statement st = c.createStatement()) {
                for (int i = 0; i < SPECIALS.size(); i++) {
                    st.execute("drop role if exists " + role(i));
                    st.execute("create role " + role(i) + " login superuser password '" + password(RIGHT, i) + "'");
                }
            }
        }
    }

    private static Map<String, String> both(Form form, int special, String[] halves, int primaryPort, int secondaryPort,
                                            String database) {
        Map<String, String> s = new LinkedHashMap<>();
        s.putAll(form.settings("primary", primaryPort, role(special), password(halves, special), database));
        s.putAll(form.settings("secondary", secondaryPort, role(special), password(halves, special), database));
        return s;
    }

    /** Boots a unit with {@code nodes}; returns its status JSON, or the message of the exception the start threw. */
    private static String boot(Map<String, String> nodes) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("hibernate.multi_tenant_connection_provider", RedundantConnectionProvider.class.getName());
        s.put("hibernate.tenant_identifier_resolver", ActiveNodeResolver.class.getName());
        s.put("hibernate.hbm2ddl.auto", "none");
        // a unit whose databases are both down boots when it is told what they are
        s.put("hibernate.dialect", "org.hibernate.dialect.PostgreSQLDialect");
        s.put("jakarta.persistence.database-product-name", "PostgreSQL");
        s.put("jakarta.persistence.database-major-version", "17");
        s.put("hibernate.redundancy.mirror.mode", "off");
        s.put(Jpa.TEST_TIMEOUT, "1000");
        s.putAll(nodes);
        EntityManagerFactory emf;
        try {
            emf = Jpa.emf("no-secret", s);
        } catch (RuntimeException e) {
            assertThat(e.getMessage()).as("the start's message is one line").doesNotContain("\n");
            return "start failed: " + e.getMessage();
        }
        try {
            return Redundancy.of(emf).status().toJson();
        } finally {
            emf.close();
        }
    }

    /** The command line with {@code nodes}: URLs in the environment, a password setting through a --config file. */
    private Cli cli(Form form, Map<String, String> nodes, String... command) throws IOException {
        List<String> args = new ArrayList<>(List.of(command));
        Map<String, String> env = new LinkedHashMap<>();
        if (form == Form.PASSWORD_SETTING) {
            Path file = Files.createTempFile(dir, "redundancy", ".properties");
            StringBuilder b = new StringBuilder();
            // properties-file escaping: ':' '#' and '\' would otherwise change the value
            nodes.forEach((k, v) -> b.append(k).append('=').append(v.replace("\\", "\\\\").replace(":", "\\:")
                    .replace("#", "\\#")).append('\n'));
            Files.writeString(file, b.toString());
            args.add("--config");
            args.add(file.toString());
        } else {
            env.put("DATABASE_URL", nodes.get("hibernate.redundancy.primary.url"));
            env.put("DATABASE_URL_SECONDARY", nodes.get("hibernate.redundancy.secondary.url"));
        }
        return Cli.run(env, args.toArray(String[]::new));
    }

    private void assertNothingShows(String[] halves, String... outputs) {
        String all = String.join("\n", outputs) + "\n" + logs.text();
        assertThat(all).doesNotContain(halves[0]).doesNotContain(halves[1]);
        assertThat(all).doesNotContain(RIGHT[0]).doesNotContain(RIGHT[1]);
    }

    @ParameterizedTest(name = "{0}, special {1}")
    @MethodSource("cases")
    void theRightPasswordConnectsAndNoOutputShowsIt(Form form, int special) throws Exception {
        Map<String, String> nodes = both(form, special, RIGHT, pg.primary().port(), pg.secondary().port(), Jpa.DB);

        String json = boot(nodes);
        Cli status = cli(form, nodes, "status", "--json");
        Cli check = cli(form, nodes, "check");

        assertThat(json).contains("\"status\":\"healthy\"").contains("\"url\":\"postgresql://" + role(special) + ":***@");
        assertThat(status.exitCode()).as(status.toString()).isZero();
        assertThat(status.out()).contains("\"status\":\"healthy\"");
        assertThat(check.exitCode()).as(check.toString()).isZero();
        assertThat(check.out()).contains("[ok  ] auth       logged in as " + role(special));
        assertNothingShows(RIGHT, json, status.toString(), check.toString());
    }

    @ParameterizedTest(name = "{0}, special {1}")
    @MethodSource("cases")
    void aWrongPasswordFailsAsAnAuthenticationErrorThatShowsNoPassword(Form form, int special) throws Exception {
        Map<String, String> nodes = both(form, special, WRONG, pg.primary().port(), pg.secondary().port(), Jpa.DB);

        String start = boot(nodes);
        Cli status = cli(form, nodes, "status", "--json");
        Cli check = cli(form, nodes, "check");
        Cli sync = cli(form, nodes, "sync", "--to", "secondary");

        assertThat(start).startsWith("start failed: hibernate.redundancy.primary.url").contains("rejected the credentials");
        assertThat(status.exitCode()).as(status.toString()).isEqualTo(3);
        assertThat(status.out()).contains("password authentication failed");
        assertThat(check.exitCode()).as(check.toString()).isEqualTo(3);
        assertThat(sync.exitCode()).as(sync.toString()).isEqualTo(3);
        assertThat(sync.errLines()).hasSize(1);
        assertThat(sync.err()).contains("password authentication failed");
        assertNothingShows(WRONG, start, status.toString(), check.toString(), sync.toString());
    }

    @ParameterizedTest(name = "{0}, special {1}")
    @MethodSource("cases")
    void anUnreachableServerIsAConnectionErrorThatShowsNoPassword(Form form, int special) throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        Map<String, String> nodes = both(form, special, RIGHT, closed, closed, Jpa.DB);

        String json = boot(nodes);
        Cli status = cli(form, nodes, "status", "--json");
        Cli check = cli(form, nodes, "check");
        Cli sync = cli(form, nodes, "sync", "--to", "secondary", "--full");

        assertThat(json).contains("\"status\":\"down\"").contains("\"lastError\":");
        assertThat(status.exitCode()).as(status.toString()).isEqualTo(3);
        assertThat(status.out()).contains("refused");
        assertThat(check.exitCode()).as(check.toString()).isEqualTo(3);
        assertThat(sync.exitCode()).as(sync.toString()).isEqualTo(3);
        assertThat(sync.errLines()).hasSize(1);
        assertThat(sync.err()).contains("refused");
        assertNothingShows(RIGHT, json, status.toString(), check.toString(), sync.toString());
    }

    @ParameterizedTest(name = "{0}, special {1}")
    @MethodSource("cases")
    void aMalformedUrlIsOneLineNamingThePropertyThatShowsNoPassword(Form form, int special) throws Exception {
        // a port out of range
        Map<String, String> nodes = both(form, special, RIGHT, 99999, pg.secondary().port(), Jpa.DB);

        String start = boot(nodes);
        Cli status = cli(form, nodes, "status");

        assertThat(start).startsWith("start failed: hibernate.redundancy.primary.url has port 99999 outside 1-65535");
        assertThat(status.exitCode()).as(status.toString()).isEqualTo(2);
        assertThat(status.errLines()).hasSize(1);
        assertThat(status.err()).startsWith("redundancy: hibernate.redundancy.primary.url has port 99999");
        assertNothingShows(RIGHT, start, status.toString());
    }
}
