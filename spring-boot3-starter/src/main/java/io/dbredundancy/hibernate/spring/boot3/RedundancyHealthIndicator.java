package io.dbredundancy.hibernate.spring.boot3;

import io.dbredundancy.hibernate.routing.RedundancyRuntime;
import io.dbredundancy.hibernate.routing.RedundantConnectionProvider;
import io.dbredundancy.hibernate.spring.StatusDetails;
import io.dbredundancy.hibernate.RedundancyStatus;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/**
 * Actuator's {@code redundancy} component: UP while either database serves (also while the secondary serves after a
 * failover), DOWN when none does; details per node from the plugin's status snapshot (URLs masked). Reads the
 * health monitor's last probes: a health request opens no connection.
 */
final class RedundancyHealthIndicator implements HealthIndicator {

    private final RedundantConnectionProvider provider;

    RedundancyHealthIndicator(RedundantConnectionProvider provider) {
        this.provider = provider;
    }

    @Override
    public Health health() {
        RedundancyRuntime rt = (provider.isUnwrappableAs(io.dbredundancy.hibernate.routing.RedundancyRuntime.class) ? provider.unwrap(io.dbredundancy.hibernate.routing.RedundancyRuntime.class) : null);
        if (rt == null) {
            return Health.down().withDetail("error", "[DB-Redundancy] the unit is stopped").build();
        }
        RedundancyStatus s = rt.status();
        Health.Builder b = s.serving() ? Health.up() : Health.down();
        return b.withDetails(StatusDetails.of(s)).build();
    }
}
