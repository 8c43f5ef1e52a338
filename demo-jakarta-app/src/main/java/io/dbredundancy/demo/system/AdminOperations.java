package io.dbredundancy.demo.system;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.SyncResult;
import io.dbredundancy.hibernate.VerifyResult;
import io.dbredundancy.hibernate.metrics.RedundancyMetrics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The admin actions that return a report (sync, verify), as JSON; each run is recorded in the metrics. */
final class AdminOperations {

    interface Action {
        /** Runs the action; returns its report as JSON, or null. */
        String run(Redundancy r);
    }

    private AdminOperations() {
    }

    /** Incremental sync of the standby from the serving database (what a catch-up after an outage needs). */
    static String sync(Redundancy r, RedundancyMetrics metrics) {
        Node target = "secondary".equals(r.status().activeDatabase()) ? Node.PRIMARY : Node.SECONDARY;
        long start = System.nanoTime();
        try {
            SyncResult result = r.syncIncremental(target);
            record(metrics, "incremental", true, result.rows(), start);
            return JsonText.object().put("kind", result.kind()).put("target", result.target().id())
                    .put("rows", result.rows()).put("deleted", result.deleted()).put("tables", result.tables())
                    .put("elapsedMs", result.elapsed().toMillis()).put("summary", result.toString()).toString();
        } catch (RuntimeException e) {
            record(metrics, "incremental", false, 0, start);
            throw e;
        }
    }

    /** Checksums of every table on both databases, chunk by chunk. */
    static String verify(Redundancy r, RedundancyMetrics metrics) {
        long start = System.nanoTime();
        try {
            VerifyResult result = r.verify();
            record(metrics, "verify", true, 0, start);
            List<String> differences = new ArrayList<>();
            result.differences().forEach(d -> differences.add(d.toString()));
            return JsonText.object().put("identical", result.identical()).put("tables", result.tables())
                    .put("rows", result.rows()).put("differences", differences)
                    .put("elapsedMs", result.elapsed().toMillis()).put("summary", result.toString()).toString();
        } catch (RuntimeException e) {
            record(metrics, "verify", false, 0, start);
            throw e;
        }
    }

    private static void record(RedundancyMetrics metrics, String kind, boolean ok, long rows, long startNanos) {
        if (metrics != null) {
            metrics.onSync(kind, ok, rows, Duration.ofNanos(System.nanoTime() - startNanos));
        }
    }
}
