/**
 * What a unit's status snapshot is assembled from (implementation): the {@code StatusContributor}s of the features
 * and the JSON writer of {@code RedundancyStatus} (a root-package value), as {@code Redundancy.status()},
 * {@code redundancy status --json} and the demo's health endpoint serve it.
 */
package io.dbredundancy.hibernate.status;
