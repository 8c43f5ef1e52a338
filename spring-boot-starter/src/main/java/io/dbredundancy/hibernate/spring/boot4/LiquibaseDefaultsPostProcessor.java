package io.dbredundancy.hibernate.spring.boot4;

import io.dbredundancy.hibernate.spring.LiquibaseDefaults;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.core.env.ConfigurableEnvironment;

/** Applies {@link LiquibaseDefaults} to the application's environment before the context is built. */
public class LiquibaseDefaultsPostProcessor implements EnvironmentPostProcessor {

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        LiquibaseDefaults.apply(environment, application);
    }
}
