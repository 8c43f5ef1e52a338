/**
 * The plugin's public API: {@link io.dbredundancy.hibernate.Redundancy} (the handle of a persistence unit: status,
 * failover and failback, sync, verify, commit outcomes), {@link io.dbredundancy.hibernate.RedundancySettings} (every
 * {@code hibernate.redundancy.*} key, with its default), {@link io.dbredundancy.hibernate.RedundancyConfig} (the
 * settings, validated once), {@link io.dbredundancy.hibernate.Node}, and the values the facade hands out:
 * {@link io.dbredundancy.hibernate.RedundancyStatus}, {@link io.dbredundancy.hibernate.SwitchEvent} (with
 * {@link io.dbredundancy.hibernate.SwitchKind} and {@link io.dbredundancy.hibernate.ActiveNode}),
 * {@link io.dbredundancy.hibernate.SwitchListener}, {@link io.dbredundancy.hibernate.SyncResult},
 * {@link io.dbredundancy.hibernate.VerifyResult}, {@link io.dbredundancy.hibernate.SyncException},
 * {@link io.dbredundancy.hibernate.CommitOutcome} and {@link io.dbredundancy.hibernate.CommitOutcomeUnknownException}.
 * Wiring in {@code persistence.xml} names two classes of
 * {@code routing}; the other packages are the implementation: their public types are public for the plugin's own
 * packages and may change in any release (see docs/architecture.md).
 */
package io.dbredundancy.hibernate;
