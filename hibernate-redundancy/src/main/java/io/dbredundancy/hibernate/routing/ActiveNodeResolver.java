package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.ActiveNode;
import io.dbredundancy.hibernate.Node;
import org.hibernate.context.spi.CurrentTenantIdentifierResolver;

/**
 * Answers, for each new session, the id of the database that serves now: {@code "primary"} or {@code "secondary"}
 * (when both are down, {@code "primary"}, whose connection request then fails with "Both primary and secondary
 * databases are unavailable"). Hibernate fixes the answer for the session's lifetime, so an open session never
 * moves; a new one follows the switch. Bound to its unit's runtime by {@link RedundancyIntegrator}.
 */
public class ActiveNodeResolver implements CurrentTenantIdentifierResolver<String> {

    private volatile RedundancyRuntime runtime;

    void bind(RedundancyRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public String resolveCurrentTenantIdentifier() {
        RedundancyRuntime rt = runtime;
        if (rt == null) {
            rt = LiveUnits.only();
        }
        if (rt == null) {
            return Node.PRIMARY.id();
        }
        ActiveNode a = rt.state().active();
        return a == ActiveNode.SECONDARY ? Node.SECONDARY.id() : Node.PRIMARY.id();
    }

    @Override
    public boolean validateExistingCurrentSessions() {
        return false;
    }

    @Override
    public boolean isRoot(String tenantId) {
        return false;
    }
}
