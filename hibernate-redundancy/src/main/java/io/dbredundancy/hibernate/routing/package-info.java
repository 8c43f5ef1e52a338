/**
 * The Hibernate side of the core (implementation; only {@code RedundantConnectionProvider} and
 * {@code ActiveNodeResolver} are named by users, in {@code persistence.xml}): the multi-tenant connection provider and
 * tenant resolver, the pools, the connection router and tracked connections, the switch gate, the start check, and
 * {@code RedundancyRuntime}, the composition root of a unit; features attach through {@code UnitFeature}.
 */
package io.dbredundancy.hibernate.routing;
