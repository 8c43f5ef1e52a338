/**
 * The {@code redundancy} command line (picocli): status, check, failover/failback, sync, verify, repair,
 * sequences, migrate. Not an API: run it as a program.
 */
package io.dbredundancy.hibernate.cli;
