package io.dbredundancy.hibernate.spring.boot4;

import io.dbredundancy.hibernate.routing.ActiveNodeResolver;
import io.dbredundancy.hibernate.routing.RedundantConnectionProvider;
import io.dbredundancy.hibernate.spring.BothNodesFlyway;
import io.dbredundancy.hibernate.spring.RedundancyMeterBinder;
import io.dbredundancy.hibernate.spring.RedundancyProperties;
import io.dbredundancy.hibernate.spring.RoutingDataSource;
import io.dbredundancy.hibernate.spring.SpringRedundantConnectionProvider;
import io.micrometer.core.instrument.binder.MeterBinder;
import jakarta.persistence.EntityManagerFactory;
import org.flywaydb.core.Flyway;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.flyway.autoconfigure.FlywayMigrationStrategy;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration;
import org.springframework.boot.hibernate.autoconfigure.HibernatePropertiesCustomizer;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;

import javax.sql.DataSource;

/**
 * Wires hibernate-redundancy into a Spring Boot 4 application when {@code hibernate.redundancy.primary.url} is
 * set: the provider and resolver as beans handed to Hibernate through a
 * {@link HibernatePropertiesCustomizer}, a routing {@code DataSource} as the application's primary one, Flyway
 * applied to both databases, an Actuator health indicator ({@code redundancy}) and the plugin's meters.
 */
@AutoConfiguration(before = {DataSourceAutoConfiguration.class, HibernateJpaAutoConfiguration.class},
        beforeName = {"org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration",
                "org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration"})
@ConditionalOnClass({RedundantConnectionProvider.class, EntityManagerFactory.class})
@ConditionalOnProperty(prefix = "hibernate.redundancy.primary", name = {"url"})
@EnableConfigurationProperties(RedundancyProperties.class)
public class RedundancyAutoConfiguration {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(RedundantConnectionProvider.class)
    public SpringRedundantConnectionProvider redundantConnectionProvider(RedundancyProperties properties) {
        return new SpringRedundantConnectionProvider(properties.toSettings());
    }

    @Bean
    @ConditionalOnMissingBean(ActiveNodeResolver.class)
    public ActiveNodeResolver activeNodeResolver() {
        return new ActiveNodeResolver();
    }

    @Bean
    @Primary
    public DataSource dataSource(RedundantConnectionProvider provider, ActiveNodeResolver resolver) {
        return new RoutingDataSource(provider, resolver);
    }

    @Bean
    public HibernatePropertiesCustomizer redundancyHibernatePropertiesCustomizer(RedundantConnectionProvider provider,
                                                                                ActiveNodeResolver resolver) {
        return properties -> {
            properties.put("hibernate.multi_tenant_connection_provider", provider);
            properties.put("hibernate.tenant_identifier_resolver", resolver);
        };
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    static class HealthConfiguration {

        @Bean
        @ConditionalOnMissingBean(name = "redundancyHealthIndicator")
        HealthIndicator redundancyHealthIndicator(RedundantConnectionProvider provider) {
            return new RedundancyHealthIndicator(provider);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterBinder.class)
    static class MetricsConfiguration {

        @Bean
        MeterBinder redundancyMeterBinder(RedundantConnectionProvider provider,
                                          ObjectProvider<EntityManagerFactory> emf) {
            return new RedundancyMeterBinder(provider, emf);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({Flyway.class, FlywayMigrationStrategy.class})
    static class FlywayConfiguration {

        @Bean
        @ConditionalOnMissingBean(FlywayMigrationStrategy.class)
        FlywayMigrationStrategy redundancyFlywayMigrationStrategy(RedundantConnectionProvider provider) {
            BothNodesFlyway both = new BothNodesFlyway(provider);
            return both::migrate;
        }
    }

}
