package io.dbredundancy.hibernate.cli;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.RedundancyStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Instant;
import java.util.Locale;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Probes both databases and prints the redundancy status (the JSON of /api/system/db-health"
                + " with --json).", "The active database is the one the lease names (set by failover/failback),"
                + " else the reachable one, the primary first. Exit code 0 while a database serves, 3 when none does."})
final class StatusCommand extends DbCommand {

    @Option(names = "--json", description = "Print the status document as JSON")
    boolean json;

    @Override
    public Integer call() {
        RedundancyStatus s = snapshot(config());
        if (json) {
            root.out.println(s.toJson());
        } else {
            root.out.println("status: " + s.status() + ", active database: " + s.activeDatabase()
                    + (s.redundancy() ? "" : " (no secondary configured: redundancy disabled)"));
            print("primary", s.primary());
            if (s.secondary() != null) {
                print("secondary", s.secondary());
            }
            root.out.println("epoch: " + s.epoch() + ", mirror pending: " + s.mirror().pending()
                    + ", last sync: " + (s.lastSync() == null ? "never" : s.lastSync()) + " (" + s.syncStatus() + ")");
        }
        return s.serving() ? ExitCodes.OK : ExitCodes.CONNECTION;
    }

    private void print(String name, RedundancyStatus.NodeStatus n) {
        root.out.println(String.format(Locale.ROOT, "  %-9s %-9s %s%s", name, n.connected() ? "up" : "DOWN",
                n.url(), n.connected() ? String.format(Locale.ROOT, "  %.2f ms", n.latencyMs()) : "  " + n.lastError()));
    }

    static RedundancyStatus snapshot(RedundancyConfig config) {
        Probe p = Probe.of(config.primary());
        Probe s = config.secondary().map(Probe::of).orElse(null);
        Probe leaseFrom = p;
        if (s != null && s.leaseEpoch > p.leaseEpoch) {
            leaseFrom = s;
        }
        String active;
        if (leaseFrom.leaseNode != null && reachable(Node.fromId(leaseFrom.leaseNode), p, s)) {
            active = leaseFrom.leaseNode;
        } else if (p.connected) {
            active = Node.PRIMARY.id();
        } else if (s != null && s.connected) {
            active = Node.SECONDARY.id();
        } else {
            active = "none";
        }
        boolean allUp = p.connected && (s == null || s.connected);
        String status = active.equals("none") ? "down" : allUp && s != null ? "healthy" : "degraded";
        Instant lastSync = latest(p.lastSync, s == null ? null : s.lastSync);
        boolean running = p.syncRunning || (s != null && s.syncRunning);
        long pending = p.journalPending + (s == null ? 0 : s.journalPending);
        RedundancyStatus.MirrorStatus mirror = new RedundancyStatus.MirrorStatus(
                config.mirrorMode().name().toLowerCase(Locale.ROOT), pending, 0, null, 0, 0, 0,
                "seen from the command line: pending = journal rows in both databases");
        return new RedundancyStatus(status, s != null, active, node(p), s == null ? null : node(s), 0, null, null,
                mirror, lastSync, running ? "running" : "idle", Math.max(0, leaseFrom.leaseEpoch));
    }

    private static boolean reachable(Node n, Probe p, Probe s) {
        return n == Node.PRIMARY ? p.connected : s != null && s.connected;
    }

    private static Instant latest(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        return b == null || a.isAfter(b) ? a : b;
    }

    private static RedundancyStatus.NodeStatus node(Probe p) {
        return new RedundancyStatus.NodeStatus(p.connected, p.latencyMs, p.at, p.connected ? 0 : 1,
                p.node.displayUrl(), p.error);
    }
}
