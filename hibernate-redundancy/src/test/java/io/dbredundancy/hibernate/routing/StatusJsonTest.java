package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.RedundancyStatus;
import io.dbredundancy.hibernate.testbed.LogCapture;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import jakarta.persistence.EntityManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.dbredundancy.hibernate.routing.FailbackTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

/** The status document, every field, before and after a real failover; URLs masked, no password anywhere. */
class StatusJsonTest {

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    @RegisterExtension
    final LogCapture logs = new LogCapture();

    static final String ISO = "\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z\"";
    static final String NUM = "-?\\d+(\\.\\d+)?";

    @BeforeAll
    static void schema() {
        Jpa.prepare(pg.primary());
        Jpa.prepare(pg.secondary());
    }

    private static void field(String json, String name, String valueRegex) {
        assertThat(json).containsPattern("\"" + Pattern.quote(name) + "\":" + valueRegex + "[,}]");
    }

    private static String object(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":(\\{[^{}]*\\})").matcher(json);
        assertThat(m.find()).as(name + " object in " + json).isTrue();
        return m.group(1);
    }

    private static void node(String obj, boolean connected, String url) {
        field(obj, "connected", Boolean.toString(connected));
        field(obj, "latencyMs", NUM);
        field(obj, "lastCheck", ISO);
        field(obj, "url", Pattern.quote("\"" + url + "\""));
        field(obj, "consecutiveFailures", connected ? "0" : "[1-9]|\\d{2,}"); // a refused connection is down at once
        if (!connected) {
            field(obj, "lastError", "\"[^\"]+\"");
        }
    }

    @Test
    void statusJsonHasEveryFieldBeforeAndAfterAFailover() {
        Map<String, Object> s = Jpa.settings(pg.primaryProxy().jdbcUrl(Jpa.DB), pg.primary(),
                pg.secondary().jdbcUrl(Jpa.DB), pg.secondary());
        String primaryUrl = "postgresql://postgres:***@127.0.0.1:" + pg.primaryProxy().port() + "/" + Jpa.DB;
        String secondaryUrl = "postgresql://postgres:***@127.0.0.1:" + pg.secondary().port() + "/" + Jpa.DB;
        try (EntityManagerFactory emf = Jpa.emf("status-json", s)) {
            Redundancy r = Redundancy.of(emf);
            assertThat(waitFor(() -> r.status().primary().lastCheck() != null, 5000)).isTrue();
            String before = r.status().toJson();
            System.out.println("before: " + before);
            field(before, "status", "\"healthy\"");
            field(before, "redundancy", "true");
            field(before, "activeDatabase", "\"primary\"");
            node(object(before, "primary"), true, primaryUrl);
            node(object(before, "secondary"), true, secondaryUrl);
            field(before, "failoverCount", "0");
            field(before, "lastFailover", "null");
            field(before, "uptimeSinceFailoverMs", "\\d+");
            field(before, "epoch", "0");
            String mirror = object(before, "mirror");
            field(mirror, "mode", "\"off\"");
            field(mirror, "pending", "0");
            field(mirror, "lagMs", "0");
            field(mirror, "lastApplied", "null");
            field(before, "lastSync", "null");
            field(before, "syncStatus", "\"idle\"");

            pg.primaryProxy().cut();
            assertThat(waitFor(() -> "secondary".equals(r.status().activeDatabase()), 10_000)).isTrue();
            RedundancyStatus st = r.status();
            String after = st.toJson();
            System.out.println("after: " + after);
            field(after, "status", "\"degraded\"");
            field(after, "redundancy", "true");
            field(after, "activeDatabase", "\"secondary\"");
            node(object(after, "primary"), false, primaryUrl);
            node(object(after, "secondary"), true, secondaryUrl);
            field(after, "failoverCount", "1");
            field(after, "lastFailover", ISO);
            field(after, "uptimeSinceFailoverMs", "\\d+");
            field(after, "epoch", "1");
            assertThat(st.uptimeSinceFailoverMs()).isLessThan(10_000);
            assertThat(after).doesNotContain(pg.primary().password()).doesNotContain(pg.secondary().password());
        }
        assertThat(logs.text()).doesNotContain(pg.primary().password()).doesNotContain(pg.secondary().password());
    }

    @Test
    void manualFailoverShowsInTheStatusAndMovesNewSessions() {
        Map<String, Object> s = Jpa.settings(pg.primary().jdbcUrl(Jpa.DB), pg.primary(),
                pg.secondary().jdbcUrl(Jpa.DB), pg.secondary());
        try (EntityManagerFactory emf = Jpa.emf("status-manual", s)) {
            Redundancy r = Redundancy.of(emf);
            assertThat(Jpa.write(emf, "manual-st", 1)).isEqualTo("primary");
            assertThat(r.failover().toString()).contains("MANUAL_FAILOVER primary -> secondary");
            assertThat(Jpa.write(emf, "manual-st", 2)).isEqualTo("secondary");
            RedundancyStatus st = r.status();
            assertThat(st.activeDatabase()).isEqualTo("secondary");
            assertThat(st.status()).isEqualTo("healthy");
            assertThat(st.failoverCount()).isEqualTo(1);
            assertThat(st.epoch()).isEqualTo(1);
            r.failback();
            assertThat(Jpa.write(emf, "manual-st", 3)).isEqualTo("primary");
            assertThat(r.status().epoch()).isEqualTo(2);
        }
        assertThat(logs.linesContaining("[DB-Redundancy] Manual failover: primary -> secondary")).hasSize(1);
    }
}
