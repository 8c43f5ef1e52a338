package io.dbredundancy.demo;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The drill of {@code ./demo.sh --drill}, watched in headless Chromium: an order-writing load, kill -9 of the
 * primary, the dashboard switching to the secondary, the primary restarted, the dashboard back on the primary.
 * Writes screenshots before / during / after under target/screenshots (and into {@code -Ddemo.docs.dir}, e.g. docs/,
 * when set) and the time from the fault to the dashboard showing the secondary into target/screenshots/drill.txt.
 */
class DashboardDrillTest {

    static DemoApp app;

    @BeforeAll
    static void start() throws Exception {
        Browser.assumeAvailable();
        app = DemoApp.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void dashboardFollowsAKill9OfThePrimaryAndItsReturn() throws Exception {
        Path dir = Path.of("target", "screenshots");
        try (Browser browser = Browser.open();
             io.dbredundancy.demo.launcher.OrderLoad load = new io.dbredundancy.demo.launcher.OrderLoad(app.server.uri(), 2, 100).start()) {
            browser.driver.get(app.uri("").toString());
            WebDriverWait wait = new WebDriverWait(browser.driver, Duration.ofSeconds(30));
            wait.until(d -> "primary".equalsIgnoreCase(d.findElement(By.id("active-db")).getText()));
            Thread.sleep(12_000); // charts fill up under load
            Path before = browser.screenshot(dir.resolve("drill-1-before.png"));

            long fault = System.nanoTime();
            app.primary.kill9();
            long shownMs = -1;
            long deadline = fault + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                if ("secondary".equalsIgnoreCase(browser.text("active-db"))) {
                    shownMs = Duration.ofNanos(System.nanoTime() - fault).toMillis();
                    break;
                }
                Thread.sleep(25);
            }
            assertThat(shownMs).as("dashboard shows the secondary after kill -9 of the primary").isPositive();
            Thread.sleep(8_000); // writes go on on the secondary
            long okDuringOutage = load.ok();
            Path during = browser.screenshot(dir.resolve("drill-2-during.png"));
            assertThat(browser.text("primary-state")).contains("down");

            app.primary.restart();
            long restarted = System.nanoTime();
            wait.until(d -> "primary".equalsIgnoreCase(d.findElement(By.id("active-db")).getText()));
            long failbackMs = Duration.ofNanos(System.nanoTime() - restarted).toMillis();
            Thread.sleep(6_000);
            Path after = browser.screenshot(dir.resolve("drill-3-after.png"));
            assertThat(browser.text("history")).contains("failover", "failback");
            assertThat(load.ok()).isGreaterThan(okDuringOutage);

            String record = "drill at " + Instant.now() + ": kill -9 of the primary -> dashboard shows the secondary after "
                    + shownMs + " ms (browser polls every 1 s); primary restarted -> dashboard back on the primary after "
                    + failbackMs + " ms; orders ok " + load.ok() + ", failed " + load.failed() + System.lineSeparator();
            Files.writeString(dir.resolve("drill.txt"), record);
            System.out.println("[Demo] " + record.strip());
            String docs = System.getProperty("demo.docs.dir");
            if (docs != null) {
                Path target = Path.of(docs);
                Files.createDirectories(target);
                for (Path p : List.of(before, during, after)) {
                    Files.copy(p, target.resolve("dashboard-" + p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
                Files.writeString(target.resolve("drill-measured.txt"), record,
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            }
        }
    }
}
