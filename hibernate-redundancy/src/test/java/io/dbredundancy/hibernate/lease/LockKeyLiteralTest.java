package io.dbredundancy.hibernate.lease;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lease's advisory-lock key has one source, {@link LeaseProtocol#LOCK_KEY}; the library changelogs write it as a
 * literal, in changeSets that cannot be edited once applied (their checksums are kept in users' databases). This test
 * holds every literal of every changelog to the Java constant, superseded function versions included, so a key
 * changed on one side fails here before it reaches a database.
 */
class LockKeyLiteralTest {

    private static final Pattern ADVISORY_LOCK = Pattern.compile("pg_advisory_xact_lock(?:_shared)?\\(\\s*([^)]*?)\\s*\\)");
    private static final Pattern KEY_IN_COMMENT = Pattern.compile("advisory lock (?:\\(key )?(\\d+)");

    @ParameterizedTest
    @ValueSource(strings = {"mirror.xml", "mirror-v8.xml", "sync.xml"})
    void everyAdvisoryLockOfTheChangelogTakesTheJavaLeaseKey(String changelog) throws IOException {
        String xml = read("db/redundancy/" + changelog);
        List<String> keys = all(ADVISORY_LOCK, xml);
        assertThat(keys).as("advisory locks taken in %s", changelog).isNotEmpty()
                .allSatisfy(k -> assertThat(k).isEqualTo(Long.toString(LeaseProtocol.LOCK_KEY)));
        assertThat(all(KEY_IN_COMMENT, xml)).as("the key as %s's comments name it", changelog)
                .allSatisfy(k -> assertThat(k).isEqualTo(Long.toString(LeaseProtocol.LOCK_KEY)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"changelog.xml", "outcome.xml"})
    void theOtherChangelogsTakeNoAdvisoryLock(String changelog) throws IOException {
        assertThat(all(ADVISORY_LOCK, read("db/redundancy/" + changelog))).isEmpty();
    }

    private static List<String> all(Pattern p, String text) {
        List<String> out = new ArrayList<>();
        Matcher m = p.matcher(text);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static String read(String resource) throws IOException {
        try (InputStream in = LockKeyLiteralTest.class.getClassLoader().getResourceAsStream(resource)) {
            assertThat(in).as(resource + " on the class path").isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
