package io.fluxfleet.gateway;

import io.fluxfleet.client.GatewayClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A benchmark, not a test: prints figures, asserts nothing about speed. Loopback only, bounded.
 * <pre>
 * mvn -B -o test -Dtest=GatewayBenchmark -Dbench.gateway=true -Dsurefire.failIfNoSpecifiedTests=false \
 *     [-Dbench.submits=2000 -Dbench.clients=16 -Dbench.streams=1000]
 * </pre>
 * Submits use model schnell, which the test fleet does not serve: the worker fails them at once, so
 * the figures are the gateway's (validation, the Kafka ack with acks=all, the state lookups).
 */
@QuarkusTest
@TestProfile(GatewayTestProfile.class)
@EnabledIfSystemProperty(named = "bench.gateway", matches = "true")
class GatewayBenchmark {

    @TestHTTPResource("/")
    URL base;

    @Inject
    GatewayConfig config;

    @Test
    void submitThroughputAndSseFanOut() throws Exception {
        int submits = Integer.getInteger("bench.submits", 2000);
        int clients = Integer.getInteger("bench.clients", 16);
        int streams = Integer.getInteger("bench.streams", 1000);
        GatewayClient client = new GatewayClient(base.toURI(), GatewayTestProfile.GLOBEX_KEY);
        // warm-up
        for (int i = 0; i < 50; i++) {
            client.submit(request("bench-warm-" + UUID.randomUUID()));
        }
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger non202 = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long t0 = System.nanoTime();
        List<Future<?>> futures = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int share = submits / clients;
            futures.add(pool.submit(() -> {
                for (int i = 0; i < share; i++) {
                    long s = System.nanoTime();
                    GatewayClient.Answer a = client.submit(request("bench-" + UUID.randomUUID()));
                    latencies.add(System.nanoTime() - s);
                    if (a.status() != 202) {
                        non202.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        System.out.printf("BENCH submit: %d requests, %d clients, %.1f s, %.0f req/s, p50 %.1f ms, p99 %.1f ms, "
                + "non-202 %d%n", sorted.size(), clients, seconds, sorted.size() / seconds, pct(sorted, 0.50),
                pct(sorted, 0.99), non202.get());

        // SSE fan-out: N streams on one job, latency from the completed event's timestamp to its arrival.
        GatewayClient acme = new GatewayClient(base.toURI(), GatewayTestProfile.ACME_KEY);
        String jobId = "bench-sse-" + UUID.randomUUID();
        acme.submit("{\"jobId\": \"" + jobId + "\", \"prompt\": \"[[test:slow]] bench\", \"width\": 64, \"height\": 64,"
                + " \"steps\": 30, \"acceleration\": \"none\"}");
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newFixedThreadPool(8)).build();
        List<CompletableFuture<Long>> arrivals = new ArrayList<>();
        AtomicInteger open = new AtomicInteger();
        for (int i = 0; i < streams; i++) {
            HttpRequest r = HttpRequest.newBuilder(base.toURI().resolve("/v1/jobs/" + jobId + "/events"))
                    .header("Authorization", "Bearer " + GatewayTestProfile.ACME_KEY).timeout(Duration.ofMinutes(5)).build();
            arrivals.add(http.sendAsync(r, HttpResponse.BodyHandlers.ofLines()).thenApply(resp -> {
                open.incrementAndGet();
                String[] data = new String[1];
                resp.body().filter(l -> l.startsWith("data:") && l.contains("\"io.fluxfleet.job.completed\""))
                        .findFirst().ifPresent(l -> data[0] = l);
                if (data[0] == null) {
                    return -1L;
                }
                int at = data[0].indexOf("\"timestamp\":\"") + 13;
                Instant ts = Instant.parse(data[0].substring(at, data[0].indexOf('"', at)));
                return Duration.between(ts, Instant.now()).toMillis();
            }));
        }
        List<Long> sse = new ArrayList<>();
        for (CompletableFuture<Long> f : arrivals) {
            sse.add(f.get(5, TimeUnit.MINUTES));
        }
        long missing = sse.stream().filter(v -> v < 0).count();
        List<Long> got = sse.stream().filter(v -> v >= 0).sorted().toList();
        System.out.printf("BENCH sse: %d streams, %d got completed, %d did not; completed-event latency (event time to"
                + " arrival) p50 %d ms, p99 %d ms, max %d ms%n", streams, got.size(), missing,
                got.get(got.size() / 2), got.get((int) Math.min(got.size() - 1, Math.round(got.size() * 0.99))),
                got.get(got.size() - 1));

        // Memory and disk of the job state: RocksDB bytes per job in the tables.
        Thread.sleep(2000);
        long jobs = submits + 50 + 1;
        long bytes;
        try (Stream<Path> files = Files.walk(config.state().dir())) {
            bytes = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        GatewayClient.Answer one = client.getPath("/v1/jobs?limit=1");
        System.out.printf("BENCH state: %d jobs (and the other tests' ones), state dir %.1f MiB, %.0f bytes/job on"
                + " disk -> %.1f GiB per million jobs; JVM heap used %.0f MiB%n", jobs, bytes / 1048576.0,
                (double) bytes / jobs, bytes / (double) jobs * 1e6 / (1L << 30),
                (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / 1048576.0);
        System.out.println("BENCH sample list answer: " + one.body());
    }

    private static String request(String jobId) {
        return "{\"jobId\": \"" + jobId + "\", \"prompt\": \"a benchmark\", \"model\": \"schnell\", \"width\": 512,"
                + " \"height\": 512, \"labels\": {\"suite\": \"bench\"}}";
    }

    private static double pct(List<Long> sorted, double p) {
        return sorted.get((int) Math.min(sorted.size() - 1, Math.round(p * (sorted.size() - 1)))) / 1e6;
    }
}
