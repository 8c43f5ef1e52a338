/**
 * The health monitor (implementation): probes on the unit's scheduler, the switch rules as a pure function
 * ({@code SwitchRules}: a state and observations in, a sealed {@code Decision} out), the immutable health state; the
 * monitor swaps the state, then logs and publishes the root package's {@code SwitchEvent}s to {@code SwitchListener}s.
 */
package io.dbredundancy.hibernate.health;
