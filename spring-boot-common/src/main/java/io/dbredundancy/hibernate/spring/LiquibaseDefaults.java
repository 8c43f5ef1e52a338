package io.dbredundancy.hibernate.spring;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.io.DefaultResourceLoader;
import org.springframework.core.io.ResourceLoader;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keeps an application's Liquibase as it was, and applies its changelog to both databases.
 * <ul>
 *   <li>The plugin brings liquibase-core, which switches Boot's Liquibase auto-configuration on. An application that
 *       does not use Liquibase (no {@code spring.liquibase.change-log}, no {@code db/changelog/db.changelog-master.yaml}
 *       and no {@code spring.liquibase.enabled}) gets {@code spring.liquibase.enabled=false} as a default, so Boot's
 *       Liquibase backs off instead of failing the start for a missing changelog.</li>
 *   <li>An application that uses Liquibase gets its changelog as the default of
 *       {@code hibernate.redundancy.schema.changelog}: the plugin applies it to both databases when it starts (before
 *       Hibernate and before Boot's own Liquibase run, which then finds the serving node up to date).</li>
 * </ul>
 * Both are defaults, the last property source: anything the application sets wins. Called by each starter's
 * {@code EnvironmentPostProcessor} (the interface's package differs between Boot 3 and 4).
 */
public final class LiquibaseDefaults {

    static final String SOURCE = "hibernate-redundancy-defaults";
    static final String BOOT_DEFAULT_CHANGELOG = "classpath:/db/changelog/db.changelog-master.yaml";

    private LiquibaseDefaults() {
    }

    public static void apply(ConfigurableEnvironment environment, SpringApplication application) {
        Binder binder = Binder.get(environment);
        Boolean enabled = binder.bind("spring.liquibase.enabled", Boolean.class).orElse(null);
        String changelog = binder.bind("spring.liquibase.change-log", String.class).orElse(null);
        ResourceLoader loader = application.getResourceLoader() != null ? application.getResourceLoader()
                : new DefaultResourceLoader(application.getClassLoader());
        if (changelog == null && loader.getResource(BOOT_DEFAULT_CHANGELOG).exists()) {
            changelog = BOOT_DEFAULT_CHANGELOG;
        }
        Map<String, Object> defaults = new LinkedHashMap<>();
        if (enabled == null && changelog == null) {
            defaults.put("spring.liquibase.enabled", "false");
        }
        boolean usesLiquibase = changelog != null && !Boolean.FALSE.equals(enabled);
        if (usesLiquibase && binder.bind("hibernate.redundancy.schema.changelog", String.class).orElse(null) == null) {
            defaults.put("hibernate.redundancy.schema.changelog", classpathPath(changelog));
        }
        if (!defaults.isEmpty()) {
            environment.getPropertySources().addLast(new MapPropertySource(SOURCE, defaults));
        }
    }

    /** {@code classpath:/db/x.yaml} as the plugin reads it: {@code db/x.yaml}. */
    static String classpathPath(String location) {
        String p = location.startsWith("classpath*:") ? location.substring("classpath*:".length())
                : location.startsWith("classpath:") ? location.substring("classpath:".length()) : location;
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        return p;
    }
}
