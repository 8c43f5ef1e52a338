/**
 * What the Spring Boot starters share: {@link io.dbredundancy.hibernate.spring.RedundancyProperties} (the
 * {@code hibernate.redundancy.*} Boot properties, API) and the pieces each starter's auto-configuration wires
 * (SPI for the starters: the Spring-managed provider, the routing DataSource, Flyway on both nodes, the meter binder,
 * the Liquibase defaults, the failure analyzer). Written against the Spring APIs Boot 3.5 and Boot 4 have in common.
 */
package io.dbredundancy.hibernate.spring;
