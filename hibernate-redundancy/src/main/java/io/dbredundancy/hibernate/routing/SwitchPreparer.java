package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.SwitchEvent;

/**
 * Internal SPI: work that must finish before sessions use the node a switch went to (moving its sequences past the ids
 * issued on the other node, say). Runs on a worker right after the switch; new sessions on that node wait for it, up
 * to {@code max(1000, 2 × health.timeout_ms)} ms (the {@link SwitchGate}). Keep it short and bounded. Added with
 * {@link RedundancyRuntime#addSwitchPreparer}.
 */
@FunctionalInterface
public interface SwitchPreparer {
    void prepare(SwitchEvent switched) throws Exception;
}
