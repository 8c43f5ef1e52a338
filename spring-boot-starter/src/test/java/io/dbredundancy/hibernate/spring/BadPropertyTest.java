package io.dbredundancy.hibernate.spring;

import io.dbredundancy.hibernate.RedundancyConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.core.NestedExceptionUtils;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** A bad {@code hibernate.redundancy.*} value fails the start with one line naming the property, never the password. */
@ExtendWith(OutputCaptureExtension.class)
class BadPropertyTest {

    private static final String PASSWORD = "Sup3rSecretPw";

    private static Map<String, Object> valid() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("hibernate.redundancy.primary.url", "jdbc:postgresql://127.0.0.1:1/app");
        p.put("hibernate.redundancy.primary.password", PASSWORD);
        p.put("hibernate.redundancy.secondary.url", "postgresql://app:" + PASSWORD + "@127.0.0.1:2/app");
        p.put("spring.flyway.enabled", "false");
        return p;
    }

    @Test
    void outOfRangeNumberNamesThePropertyInOneLine(CapturedOutput output) {
        Map<String, Object> p = valid();
        p.put("hibernate.redundancy.health.failure-threshold", "0");
        RedundancyConfigException e = startFails(p);
        assertThat(e.getMessage()).isEqualTo("hibernate.redundancy.health.failure_threshold must be between 1 and 1000,"
                + " but was 0");
        assertThat(output.getAll()).contains("hibernate.redundancy.health.failure_threshold must be between 1 and 1000")
                .doesNotContain(PASSWORD);
    }

    @Test
    void badEnumNamesThePropertyAndWhatIsAllowed(CapturedOutput output) {
        Map<String, Object> p = valid();
        p.put("hibernate.redundancy.mirror.mode", "sometimes");
        RedundancyConfigException e = startFails(p);
        assertThat(e.property()).isEqualTo("hibernate.redundancy.mirror.mode");
        assertThat(e.getMessage()).contains("async, sync, native, off").doesNotContain("\n");
        assertThat(output.getAll()).doesNotContain(PASSWORD);
    }

    @Test
    void badUrlNeverPrintsThePassword(CapturedOutput output) {
        Map<String, Object> p = valid();
        p.put("hibernate.redundancy.secondary.url", "postgresql://app:" + PASSWORD + "@127.0.0.1:notaport/app");
        RedundancyConfigException e = startFails(p);
        assertThat(e.property()).isEqualTo("hibernate.redundancy.secondary.url");
        assertThat(e.getMessage()).doesNotContain(PASSWORD).doesNotContain("\n");
        assertThat(output.getAll()).contains("hibernate.redundancy.secondary.url").doesNotContain(PASSWORD);
    }

    private static RedundancyConfigException startFails(Map<String, Object> p) {
        Throwable t = catchThrowable(() -> BootApp.start(p).close());
        assertThat(t).as("the start fails").isNotNull();
        Throwable root = NestedExceptionUtils.getMostSpecificCause(t);
        assertThat(root).isInstanceOf(RedundancyConfigException.class);
        return (RedundancyConfigException) root;
    }
}
