/**
 * The journal and its relays (implementation): capture from Hibernate's events into one statement per
 * transaction, the relay that applies each database's journal to the other as a replica, bulk-statement detection,
 * the failback gate; attached to the core through {@code MirrorHost}.
 */
package io.dbredundancy.hibernate.mirror;
