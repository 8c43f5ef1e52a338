/**
 * Commit outcomes (implementation): the id a connection reports when a commit's fate is unknown, and the
 * resolver that asks both databases.
 */
package io.dbredundancy.hibernate.outcome;
