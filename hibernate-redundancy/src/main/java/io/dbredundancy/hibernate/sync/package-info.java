/**
 * Sync, verify and repair between the two databases, the safety-net schedule and the Liquibase migrations
 * (implementation); attached to a unit as a {@code UnitFeature} through {@code SyncHost}.
 */
package io.dbredundancy.hibernate.sync;
