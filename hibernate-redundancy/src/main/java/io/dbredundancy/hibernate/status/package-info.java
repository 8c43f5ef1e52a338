/**
 * The status snapshot of a unit and its JSON, as {@code Redundancy.status()}, {@code redundancy status
 * --json} and the demo's health endpoint serve it.
 */
package io.dbredundancy.hibernate.status;
