package io.dbredundancy.demo.launcher;

import io.dbredundancy.hibernate.sync.Migrations;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.sql.Connection;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./demo.sh}: two embedded PostgreSQL servers, the demo schema on both, the app on the embedded Jakarta EE
 * runtime with the plugin wired by persistence.xml, a small order-writing load, and once a second a line saying
 * which database serves. {@code --drill} kills the primary (kill -9) some seconds in and restarts it later:
 * failover, catch-up and failback, live on the dashboard.
 *
 * <pre>
 * ./demo.sh [--drill] [--port 8080] [--threads 2] [--kill-at 20] [--restart-at 40] [--duration 0]
 * </pre>
 */
public final class DemoLauncher {

    private static final Logger LOG = Logger.getLogger("io.dbredundancy.demo");
    private static final java.util.concurrent.atomic.AtomicBoolean STOPPING = new java.util.concurrent.atomic.AtomicBoolean();
    private static final Pattern ACTIVE = Pattern.compile("\"activeDatabase\":\"(\\w+)\"");
    private static final Pattern CONNECTED = Pattern.compile("\"(primary|secondary)\":\\{\"connected\":(true|false),\"latencyMs\":([0-9.]+)");
    private static final Pattern PENDING = Pattern.compile("\"pending\":(\\d+),\"lagMs\":(\\d+)");

    private DemoLauncher() {
    }

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("demo: " + e.getMessage() + " (--help lists the options)");
            System.exit(2);
            return;
        }
        if (o == null) {
            return;
        }
        System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tT.%1$tL %4$s %5$s%6$s%n");
        quietLibraries();
        long t0 = System.nanoTime();
        EmbeddedDatabase primary = EmbeddedDatabase.start("primary");
        EmbeddedDatabase secondary = EmbeddedDatabase.start("secondary");
        for (EmbeddedDatabase db : new EmbeddedDatabase[] {primary, secondary}) {
            try (Connection c = db.connect()) {
                Migrations.apply(c, "db/demo/changelog.xml", DemoLauncher.class.getClassLoader());
            }
        }
        LOG.info("[Demo] two PostgreSQL servers up (primary :" + primary.port() + ", secondary :" + secondary.port()
                + "), demo schema applied to both");
        System.setProperty("DATABASE_URL", primary.url());
        System.setProperty("DATABASE_URL_SECONDARY", secondary.url());
        String token = System.getenv("ADMIN_TOKEN");
        if (token == null || token.isBlank()) {
            byte[] b = new byte[12];
            new SecureRandom().nextBytes(b);
            token = HexFormat.of().formatHex(b);
            System.setProperty("ADMIN_TOKEN", token);
        }
        DemoServer server;
        try {
            server = DemoServer.start(o.port);
        } catch (java.io.IOException e) {
            LOG.info("[Demo] port " + o.port + " is taken; using a free one");
            server = DemoServer.start(0);
        }
        URI app = server.uri();
        OrderLoad load = new OrderLoad(app, o.threads, 100).start();
        CountDownLatch stopped = new CountDownLatch(1);
        DemoServer srv = server;
        Thread main = Thread.currentThread();
        Runnable stop = () -> {
            if (STOPPING.compareAndSet(false, true)) {
                main.interrupt();
                shutdown(load, srv, primary, secondary);
                stopped.countDown();
            }
        };
        // SIGINT/SIGTERM: stop in order (requests, relay, pools, servers) before the JVM's shutdown hooks run, which
        // would otherwise stop the PostgreSQL servers (the test bed's cleanup) while the app still uses them
        for (String signal : new String[] {"INT", "TERM"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(signal), sig -> {
                    Thread t = new Thread(() -> {
                        stop.run();
                        System.exit(128 + sig.getNumber());
                    }, "demo-shutdown-" + signal);
                    t.start();
                });
            } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
                // signal not available here: the shutdown hook below still stops everything
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "demo-shutdown"));

        System.out.println();
        System.out.println("  Dashboard:   " + app);
        System.out.println("  Health:      " + app + "api/health   and   " + app + "api/system/db-health");
        System.out.println("  Metrics:     " + app + "metrics");
        System.out.println("  Admin token: " + (System.getenv("ADMIN_TOKEN") != null ? "(from ADMIN_TOKEN)" : token));
        System.out.println("  Started in " + Duration.ofNanos(System.nanoTime() - t0).toMillis() + " ms."
                + (o.drill ? " Drill: kill -9 of the primary at " + o.killAt + " s, restart at " + o.restartAt + " s." : "")
                + " Ctrl-C stops.");
        System.out.println();

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long start = System.currentTimeMillis();
        boolean killed = false;
        boolean restarted = false;
        try {
            for (int second = 1; o.duration <= 0 || second <= o.duration; second++) {
                Thread.sleep(Math.max(0, start + second * 1000L - System.currentTimeMillis()));
                if (o.drill && !killed && second >= o.killAt) {
                    primary.kill9();
                    killed = true;
                    LOG.info("[Demo] DRILL: kill -9 of the primary PostgreSQL (port " + primary.port() + ")");
                }
                if (o.drill && killed && !restarted && second >= o.restartAt) {
                    primary.restart();
                    restarted = true;
                    LOG.info("[Demo] DRILL: primary PostgreSQL restarted; watch catch-up and failback");
                }
                System.out.println(statusLine(http, app, second, load));
            }
        } catch (InterruptedException e) {
            // Ctrl-C / SIGTERM: the signal handler stops everything and exits
            stopped.await();
            return;
        }
        stop.run();
        System.exit(0);
    }

    private static String statusLine(HttpClient http, URI app, int second, OrderLoad load) {
        String json;
        try {
            json = http.send(HttpRequest.newBuilder(app.resolve("api/system/db-health")).timeout(Duration.ofSeconds(2))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            return String.format("[Demo] t=%3ds  status unavailable: %s", second, e.getMessage());
        }
        StringBuilder line = new StringBuilder(String.format("[Demo] t=%3ds  serving: %-9s", second, find(ACTIVE, json, 1)));
        Matcher m = CONNECTED.matcher(json);
        while (m.find()) {
            line.append(String.format("  %s %s %5.1f ms", m.group(1), "true".equals(m.group(2)) ? "up  " : "DOWN",
                    Double.parseDouble(m.group(3))));
        }
        Matcher p = PENDING.matcher(json);
        if (p.find()) {
            line.append("  mirror pending ").append(p.group(1)).append(" lag ").append(p.group(2)).append(" ms");
        }
        line.append("  orders ok ").append(load.ok()).append(" failed ").append(load.failed());
        return line.toString();
    }

    private static String find(Pattern p, String s, int group) {
        Matcher m = p.matcher(s);
        return m.find() ? m.group(group) : "?";
    }

    /** Libraries log at WARNING; the plugin and the demo at INFO. Kept in fields so the settings are not collected. */
    private static final java.util.List<java.util.logging.Logger> QUIETED = new java.util.ArrayList<>();

    private static void quietLibraries() {
        for (String name : new String[] {"liquibase", "org.hibernate", "com.zaxxer.hikari", "io.zonky", "org.jboss.weld",
                "org.glassfish.jersey", "org.eclipse.jetty"}) {
            java.util.logging.Logger l = java.util.logging.Logger.getLogger(name);
            l.setLevel(java.util.logging.Level.WARNING);
            QUIETED.add(l);
        }
    }

    static void shutdown(OrderLoad load, DemoServer server, EmbeddedDatabase... databases) {
        load.close();
        LOG.info("[Demo] load stopped (" + load.ok() + " orders written, " + load.failed() + " failed)");
        try {
            server.close();
        } catch (Exception e) {
            LOG.warning("[Demo] app stop: " + e);
        }
        for (EmbeddedDatabase db : databases) {
            db.close();
        }
        LOG.info("[Demo] PostgreSQL servers stopped");
        ShutdownSafeLogManager.demoStopped();
    }

    static final class Options {
        boolean drill;
        int port = 8080;
        int threads = 2;
        int killAt = 20;
        int restartAt = 40;
        int duration;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                try {
                    switch (a) {
                        case "--drill" -> o.drill = true;
                        case "--port" -> o.port = Integer.parseInt(args[++i]);
                        case "--threads" -> o.threads = Integer.parseInt(args[++i]);
                        case "--kill-at" -> o.killAt = Integer.parseInt(args[++i]);
                        case "--restart-at" -> o.restartAt = Integer.parseInt(args[++i]);
                        case "--duration" -> o.duration = Integer.parseInt(args[++i]);
                        case "-h", "--help" -> {
                            System.out.println("Usage: ./demo.sh [--drill] [--port 8080] [--threads 2] [--kill-at 20]"
                                    + " [--restart-at 40] [--duration seconds, 0 = until Ctrl-C]");
                            return null;
                        }
                        default -> throw new IllegalArgumentException("unknown option " + a);
                    }
                } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
                    throw new IllegalArgumentException("option " + a + " needs a number");
                }
            }
            if (o.restartAt <= o.killAt) {
                throw new IllegalArgumentException("--restart-at (" + o.restartAt + ") must be after --kill-at (" + o.killAt + ")");
            }
            return o;
        }
    }
}
