/**
 * Micrometer meters of a unit (optional at run time: nothing here loads without Micrometer).
 */
package io.dbredundancy.hibernate.metrics;
