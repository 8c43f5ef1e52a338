package io.dbredundancy.hibernate.testbed;

import org.junit.jupiter.api.Test;

import java.util.logging.Level;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

class LogCaptureTest {

    @Test
    void capturesLogRecordsWithStackTracesAndStandardStreams() {
        try (LogCapture logs = LogCapture.start()) {
            Logger.getLogger("io.dbredundancy.hibernate.routing").log(Level.FINE, "debug {0}", "detail-1");
            Logger.getLogger("org.hibernate.orm.test").log(Level.WARNING, "warn",
                    new IllegalStateException("inner-secret-2"));
            Logger.getLogger("some.other").info("info-3");
            System.out.println("stdout-4");
            System.err.println("stderr-5");

            assertThat(logs.text()).contains("detail-1", "inner-secret-2", "info-3", "stdout-4", "stderr-5");
            assertThat(logs.linesContaining("info-3")).hasSize(1);
        }
    }

    @Test
    void stopsCapturingWhenClosed() {
        LogCapture logs = LogCapture.start();
        logs.close();
        Logger.getLogger("io.dbredundancy").warning("after-close");
        System.out.println("after-close");
        assertThat(logs.contains("after-close")).isFalse();
    }
}
