package io.dbredundancy.demo.launcher;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/** A small order-writing load: a few threads POSTing orders to the app over HTTP, as clients would. */
public final class OrderLoad implements AutoCloseable {

    private final URI orders;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final long pauseMillis;
    private volatile boolean running = true;

    public OrderLoad(URI app, int threadCount, long pauseMillis) {
        this.orders = app.resolve("api/orders");
        this.pauseMillis = pauseMillis;
        for (int i = 0; i < threadCount; i++) {
            Thread t = new Thread(this::run, "demo-load-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
    }

    public OrderLoad start() {
        threads.forEach(Thread::start);
        return this;
    }

    private void run() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (running) {
            int customer = random.nextInt(50);
            String body = "{\"customerName\":\"Customer " + customer + "\",\"customerEmail\":\"customer" + customer
                    + "@example.com\",\"items\":[{\"sku\":\"SKU-" + random.nextInt(100) + "\",\"quantity\":"
                    + (1 + random.nextInt(5)) + ",\"unitPrice\":" + (1 + random.nextInt(9999)) / 100.0 + "},"
                    + "{\"sku\":\"SKU-" + random.nextInt(100) + "\",\"quantity\":1,\"unitPrice\":4.99}]}";
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(orders).timeout(Duration.ofSeconds(10))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.discarding());
                (r.statusCode() == 201 ? ok : failed).incrementAndGet();
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                failed.incrementAndGet();
            }
            try {
                Thread.sleep(pauseMillis);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    public long ok() {
        return ok.get();
    }

    public long failed() {
        return failed.get();
    }

    @Override
    public void close() {
        running = false;
        for (Thread t : threads) {
            t.interrupt();
        }
        for (Thread t : threads) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
