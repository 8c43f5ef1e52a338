/**
 * {@code mirror.mode=native}: PostgreSQL's logical replication (a publication on each database, a subscription on the
 * other, {@code origin = none}) carries the changes; this package sets it up, fences writes on a demoted database,
 * aligns sequences at a switch, gates failback on a marker, and reports each direction. Depends on {@code routing},
 * {@code lease}, {@code mirror} (the sequence alignment), {@code sync} (connections) and {@code status}; nothing
 * depends on it but the CLI.
 */
package io.dbredundancy.hibernate.replication;
