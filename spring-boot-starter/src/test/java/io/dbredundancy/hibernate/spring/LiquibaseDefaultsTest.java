package io.dbredundancy.hibernate.spring;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.DefaultResourceLoader;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The defaults the starter adds for Boot's Liquibase and the library's schema.changelog, and what wins over them. */
class LiquibaseDefaultsTest {

    private static final String CHANGELOG = "hibernate.redundancy.schema.changelog";
    private static final String ENABLED = "spring.liquibase.enabled";

    private static StandardEnvironment apply(Map<String, Object> app, ClassLoader loader) {
        StandardEnvironment env = new StandardEnvironment();
        env.getPropertySources().addFirst(new MapPropertySource("app", app));
        SpringApplication application = new SpringApplication();
        application.setResourceLoader(new DefaultResourceLoader(loader));
        LiquibaseDefaults.apply(env, application);
        return env;
    }

    private static StandardEnvironment apply(Map<String, Object> app) {
        return apply(app, new URLClassLoader(new URL[0], null));
    }

    @Test
    void applicationWithoutLiquibaseTurnsBootsLiquibaseOff() {
        StandardEnvironment env = apply(Map.of());
        assertThat(env.getProperty(ENABLED)).isEqualTo("false");
        assertThat(env.getProperty(CHANGELOG)).isNull();
    }

    @Test
    void applicationChangelogIsAppliedToBothDatabases() {
        StandardEnvironment env = apply(Map.of("spring.liquibase.change-log", "classpath:/db/orders/changelog.xml"));
        assertThat(env.getProperty(ENABLED)).isNull();
        assertThat(env.getProperty(CHANGELOG)).isEqualTo("db/orders/changelog.xml");
    }

    @Test
    void bootsDefaultChangelogCountsAsUsingLiquibase(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("db/changelog/db.changelog-master.yaml");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "databaseChangeLog: []\n");
        StandardEnvironment env = apply(Map.of(), new URLClassLoader(new URL[] {dir.toUri().toURL()}, null));
        assertThat(env.getProperty(ENABLED)).isNull();
        assertThat(env.getProperty(CHANGELOG)).isEqualTo("db/changelog/db.changelog-master.yaml");
    }

    @Test
    void whatTheApplicationSetsWins() {
        StandardEnvironment off = apply(Map.of(ENABLED, "false", "spring.liquibase.change-log", "classpath:db/x.xml"));
        assertThat(off.getProperty(CHANGELOG)).isNull();
        StandardEnvironment own = apply(Map.of("spring.liquibase.change-log", "classpath:db/x.xml",
                "hibernate.redundancy.schema.changelog", "db/both.xml"));
        assertThat(own.getProperty(CHANGELOG)).isEqualTo("db/both.xml");
        StandardEnvironment on = apply(Map.of(ENABLED, "true"));
        assertThat(on.getProperty(ENABLED)).isEqualTo("true");
    }
}
