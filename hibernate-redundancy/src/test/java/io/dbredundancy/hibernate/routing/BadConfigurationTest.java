package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.testbed.LogCapture;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.Persistence;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Every bad setting stops the start with one line that names the property, shows the bad value but never a
 * password, and reaches the message of the exception the application gets from the JPA bootstrap.
 */
class BadConfigurationTest {

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    @RegisterExtension
    final LogCapture logs = new LogCapture();

    static final String SECRET = "S3cr3t-Pw-91";

    @BeforeAll
    static void schema() {
        Jpa.prepare(pg.primary());
        Jpa.prepare(pg.secondary());
    }

    private Map<String, Object> good() {
        return Jpa.settings(pg.primary().jdbcUrl(Jpa.DB), pg.primary(), pg.secondary().jdbcUrl(Jpa.DB), pg.secondary());
    }

    private record Case(String name, String property, Consumer<Map<String, Object>> edit) {
    }

    /** The message the application sees, from the JPA bootstrap with these settings. */
    private static String bootFailure(Map<String, Object> settings, boolean viaPersistenceXml) {
        EntityManagerFactory emf = null;
        try {
            if (viaPersistenceXml) {
                Map<String, Object> overrides = new LinkedHashMap<>(settings);
                overrides.remove("hibernate.multi_tenant_connection_provider");
                overrides.remove("hibernate.tenant_identifier_resolver");
                emf = Persistence.createEntityManagerFactory("core-test", overrides);
            } else {
                emf = Jpa.emf("bad-config", settings);
            }
        } catch (RuntimeException e) {
            return e.getMessage();
        } finally {
            if (emf != null) {
                emf.close();
            }
        }
        return fail("the start did not fail");
    }

    private List<Case> cases() {
        String p = "hibernate.redundancy.";
        List<Case> c = new ArrayList<>();
        c.add(new Case("missing primary URL", p + "primary.url", s -> s.remove(p + "primary.url")));
        c.add(new Case("malformed URL", p + "primary.url", s -> s.put(p + "primary.url", "not a url at all")));
        c.add(new Case("not PostgreSQL", p + "primary.url", s -> s.put(p + "primary.url", "jdbc:mysql://127.0.0.1/db")));
        c.add(new Case("no database in URL", p + "primary.url",
                s -> s.put(p + "primary.url", "jdbc:postgresql://127.0.0.1:5432")));
        c.add(new Case("port out of range, password in URL", p + "primary.url",
                s -> s.put(p + "primary.url", "postgresql://app:" + SECRET + "@127.0.0.1:99999/db")));
        c.add(new Case("malformed secondary URL", p + "secondary.url",
                s -> s.put(p + "secondary.url", "postgresql://app:" + SECRET + "@/db")));
        c.add(new Case("unknown host", p + "primary.url",
                s -> s.put(p + "primary.url", "jdbc:postgresql://no-such-host.invalid:5432/" + Jpa.DB)));
        c.add(new Case("unknown secondary host", p + "secondary.url",
                s -> s.put(p + "secondary.url", "jdbc:postgresql://no-such-host.invalid:5432/" + Jpa.DB)));
        c.add(new Case("wrong primary password", p + "primary.url", s -> s.put(p + "primary.password", SECRET)));
        c.add(new Case("wrong secondary password", p + "secondary.url", s -> s.put(p + "secondary.password", SECRET)));
        c.add(new Case("wrong password in the URL", p + "primary.url", s -> {
            s.remove(p + "primary.password");
            s.remove(p + "primary.user");
            s.put(p + "primary.url", "postgresql://postgres:" + SECRET + "@127.0.0.1:" + pg.primary().port() + "/"
                    + Jpa.DB);
        }));
        c.add(new Case("unknown database", p + "primary.url",
                s -> s.put(p + "primary.url", pg.primary().jdbcUrl("no_such_db"))));
        c.add(new Case("unknown mirror.mode", p + "mirror.mode", s -> s.put(p + "mirror.mode", "sometimes")));
        c.add(new Case("unknown mirror.scope", p + "mirror.scope", s -> s.put(p + "mirror.scope", "some")));
        c.add(new Case("unknown failback", p + "failback", s -> s.put(p + "failback", "later")));
        c.add(new Case("negative interval", p + "health.interval_ms", s -> s.put(p + "health.interval_ms", "-5")));
        c.add(new Case("threshold 0", p + "health.failure_threshold", s -> s.put(p + "health.failure_threshold", "0")));
        c.add(new Case("failback threshold 0", p + "health.failback_threshold",
                s -> s.put(p + "health.failback_threshold", 0)));
        c.add(new Case("non-numeric timeout", p + "health.timeout_ms", s -> s.put(p + "health.timeout_ms", "fast")));
        c.add(new Case("fractional retry interval", p + "health.primary_retry_interval_ms",
                s -> s.put(p + "health.primary_retry_interval_ms", "1.5")));
        c.add(new Case("negative sync interval", p + "sync.interval_ms", s -> s.put(p + "sync.interval_ms", "-1")));
        c.add(new Case("pool of 0", p + "pool.max_size", s -> s.put(p + "pool.max_size", "0")));
        c.add(new Case("min idle above max", p + "pool.min_idle", s -> s.put(p + "pool.min_idle", "50")));
        c.add(new Case("unknown setting", p + "primary.urll", s -> s.put(p + "primary.urll", "x")));
        c.add(new Case("both url and jndi", p + "primary.jndi", s -> s.put(p + "primary.jndi", "java:comp/env/jdbc/x")));
        c.add(new Case("secondary credentials without URL", p + "secondary.url", s -> {
            s.remove(p + "secondary.url");
            s.put(p + "secondary.password", SECRET);
        }));
        c.add(new Case("JNDI name not bound", p + "primary.jndi", s -> {
            s.remove(p + "primary.url");
            s.put(p + "primary.jndi", "java:comp/env/jdbc/nothing-here");
        }));
        return c;
    }

    @Test
    void eachBadSettingStopsTheStartWithOneLineNamingTheProperty() {
        List<Case> cases = cases();
        assertThat(cases).hasSizeGreaterThanOrEqualTo(20);
        List<String> problems = new ArrayList<>();
        for (Case c : cases) {
            Map<String, Object> s = good();
            c.edit().accept(s);
            String message = bootFailure(s, false);
            System.out.println("bad config [" + c.name() + "]: " + message);
            if (message == null || !message.contains(c.property()) || message.contains(SECRET)
                    || message.contains(pg.primary().password()) || message.contains(pg.secondary().password())
                    || message.contains("\n")) {
                problems.add(c.name() + " -> " + message);
            }
        }
        assertThat(problems).isEmpty();
        assertThat(logs.text()).doesNotContain(SECRET).doesNotContain(pg.primary().password())
                .doesNotContain(pg.secondary().password());
    }

    @Test
    void theMessageReachesTheTopOfPersistenceCreateEntityManagerFactory() {
        Map<String, Object> s = good();
        s.put("hibernate.redundancy.health.failure_threshold", "0");
        assertThat(bootFailure(s, true)).contains("hibernate.redundancy.health.failure_threshold must be between 1 and",
                "but was 0");

        Map<String, Object> wrong = good();
        wrong.put("hibernate.redundancy.secondary.password", SECRET);
        String m = bootFailure(wrong, true);
        assertThat(m).contains("hibernate.redundancy.secondary.url", "rejected the credentials").doesNotContain(SECRET);
        assertThat(logs.text()).doesNotContain(SECRET);
    }
}
