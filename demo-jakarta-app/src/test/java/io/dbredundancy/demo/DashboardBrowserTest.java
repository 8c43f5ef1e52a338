package io.dbredundancy.demo;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The dashboard in headless Chromium: it shows the serving database and follows a failover live. */
class DashboardBrowserTest {

    static DemoApp app;

    @BeforeAll
    static void start() throws Exception {
        app = DemoApp.start();
    }

    /** Reported as skipped, with the reason, when chromium is missing (a failure under CI=true). */
    @org.junit.jupiter.api.BeforeEach
    void needsChromium() {
        Browser.assumeAvailable();
    }

    @AfterAll
    static void stop() throws Exception {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void dashboardShowsPrimaryThenSecondaryAfterAFailover() throws Exception {
        try (Browser browser = Browser.open()) {
            browser.driver.get(app.uri("").toString());
            WebDriverWait wait = new WebDriverWait(browser.driver, Duration.ofSeconds(20));
            wait.until(d -> "primary".equalsIgnoreCase(d.findElement(By.id("active-db")).getText()));
            wait.until(d -> !d.findElement(By.id("primary-state")).getText().contains("…"));
            assertThat(browser.text("primary-state")).contains("up", "serving");
            assertThat(browser.text("secondary-state")).contains("up");
            assertThat(browser.text("primary-url")).contains("***").doesNotContain(app.primary.password(), app.secondary.password());
            Thread.sleep(2500); // a few samples on the charts
            Path before = browser.screenshot(Path.of("target", "screenshots", "dashboard-primary.png"));

            assertThat(app.admin("failover").statusCode()).isEqualTo(200);
            wait.until(d -> "secondary".equalsIgnoreCase(d.findElement(By.id("active-db")).getText()));
            wait.until(d -> d.findElement(By.id("history")).getText().contains("failover"));
            assertThat(browser.text("failover-count")).isEqualTo("1");
            Path after = browser.screenshot(Path.of("target", "screenshots", "dashboard-secondary.png"));

            assertThat(app.admin("failback").statusCode()).isEqualTo(200);
            wait.until(d -> "primary".equalsIgnoreCase(d.findElement(By.id("active-db")).getText()));

            assertThat(Files.size(before)).isGreaterThan(10_000);
            assertThat(Files.size(after)).isGreaterThan(10_000);
        }
    }
}
