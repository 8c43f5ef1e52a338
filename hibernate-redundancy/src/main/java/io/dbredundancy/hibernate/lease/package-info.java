/**
 * The fencing lease of several instances (implementation): the {@code Lease} value, its rules in one place
 * ({@code LeaseRules}), the protocol with the database ({@code LeaseProtocol}: the lease function and lock key, tested
 * against the SQL by {@code LeaseSqlContractTest}) and the {@code LeaseKeeper} that renews and reads it.
 */
package io.dbredundancy.hibernate.lease;
