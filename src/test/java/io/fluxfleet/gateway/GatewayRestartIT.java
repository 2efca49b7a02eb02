package io.fluxfleet.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fluxfleet.client.GatewayClient;
import io.fluxfleet.devstack.LocalStack;
import io.fluxfleet.flux.TinyCheckpoint;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.tenant.ApiKeys;
import io.fluxfleet.worker.PackagedApps;
import io.fluxfleet.worker.WorkerReadiness;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import com.microsoft.playwright.Page;
import io.fluxfleet.console.ConsoleBrowser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway as its own process (the packaged app with {@code -Dquarkus.profile=gateway}, as in a pod),
 * SIGKILLed in the middle of a render and started again on the same state directory, next to a packaged
 * worker: the job's state is still served, SSE resumes after {@code Last-Event-ID} without repeating
 * what the client had, and the webhook deliveries arrive signed, none lost, copies only of the same
 * {@code webhook-id} (at-least-once).
 *
 * <p>About 2 minutes on a loaded 2-core machine (three JVMs: broker and S3Proxy, worker, gateway).
 * Mutation checked: with the resume point ignoring Last-Event-ID the restarted gateway's stream
 * repeated the started and first progress events (its feed replays the last two minutes) and this test failed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GatewayRestartIT {

    private static final String KEY = "restart-it-key";
    private static final String OPERATOR_KEY = "restart-it-operator-key";
    private static final String WORKER_ID = "restart-it-worker";
    private static final String SECRET = "restart-it-webhook-secret";

    @TempDir
    static Path dir;

    static LocalStack stack;
    static Process worker;
    static Process gateway;
    static int gatewayPort;
    static int workerPort;
    static Path gatewayLog;
    static int generation;

    @BeforeAll
    static void startStackWorkerAndGateway() throws Exception {
        PackagedApps.jar(); // fails early when the app was not packaged
        stack = LocalStack.start(dir.resolve("stack"), LocalStack.Settings.defaults().withDefaultPartitions(2));
        // the jobs lanes and events co-partitioned, as the gateway's fold requires (created before either process can)
        try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
            admin.createTopics(java.util.stream.Stream.of("fluxfleet.jobs.high", "fluxfleet.jobs", "fluxfleet.jobs.low",
                    "fluxfleet.events").map(t -> new org.apache.kafka.clients.admin.NewTopic(t, 2, (short) 1)).toList())
                    .all().get();
        }
        Path model = dir.resolve("tiny-model");
        TinyCheckpoint.write(model, TinyCheckpoint.Format.DIFFUSERS);
        Files.writeString(dir.resolve("tenants.yaml"), """
                tenants:
                  - id: demo
                    webhookSecret: %s
                    apiKeySha256: [%s]
                """.formatted(SECRET, ApiKeys.sha256Hex(KEY)));
        workerPort = PackagedApps.freePort();
        worker = start(List.of("-Dquarkus.profile=demo", "-Dfluxfleet.worker-id=" + WORKER_ID, "-Dfluxfleet.heartbeat.interval=PT0.5S",
                "-Dfluxfleet.model-dir=" + model, "-Dfluxfleet.default-acceleration=none",
                "-Dquarkus.http.port=" + workerPort), dir.resolve("worker.log"));
        gatewayPort = PackagedApps.freePort();
        startGateway();
        WorkerReadiness.awaitReady("worker", workerPort, worker, dir.resolve("worker.log"), Duration.ofMinutes(4));
        WorkerReadiness.awaitReady("gateway", gatewayPort, gateway, gatewayLog, Duration.ofMinutes(4));
    }

    @AfterAll
    static void stopAll() throws Exception {
        WorkerReadiness.stopAll(java.util.Arrays.asList(gateway, worker), stack);
    }

    @Test
    @Order(1)
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void aSigkilledGatewayRestartsWithItsStateSseResumeAndEveryWebhook() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            GatewayClient client = new GatewayClient(URI.create("http://127.0.0.1:" + gatewayPort + "/"), KEY);
            String jobId = "restart-" + UUID.randomUUID();
            GatewayClient.Answer accepted = client.submit("""
                    {"jobId": "%s", "prompt": "a windmill in a storm", "width": 128, "height": 128, "steps": 16,
                     "seed": 3, "webhook": {"url": "%s", "events": ["started", "completed", "failed"]}}"""
                    .formatted(jobId, receiver.url()));
            assertEquals(202, accepted.status(), String.valueOf(accepted.body()));

            // Follow the stream until the render is under way, then kill the gateway without warning.
            List<GatewayClient.Event> before = new ArrayList<>();
            try {
                client.await(jobId, null, Duration.ofMinutes(3), e -> {
                    before.add(e);
                    if (e.type().equals(JobEvent.PROGRESS)) {
                        throw new StopReading();
                    }
                });
            } catch (StopReading expected) {
                // the render is at its first progress event
            }
            assertEquals(JobEvent.PROGRESS, before.get(before.size() - 1).type(), "caught before the end: " + before);
            gateway.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
            startGateway();
            WorkerReadiness.awaitReady("gateway", gatewayPort, gateway, gatewayLog, Duration.ofMinutes(4));

            String lastSeen = before.get(before.size() - 1).id();
            List<GatewayClient.Event> after = new ArrayList<>();
            GatewayClient.Event last = client.await(jobId, lastSeen, Duration.ofMinutes(3), after::add);
            assertEquals(JobEvent.COMPLETED, last.type(), String.valueOf(after));
            Set<String> seenBefore = before.stream().map(GatewayClient.Event::id).collect(Collectors.toSet());
            assertTrue(after.stream().noneMatch(e -> seenBefore.contains(e.id())),
                    "the resumed stream repeats events the client had: " + ids(before) + " then " + ids(after));
            assertEquals(after.size(), ids(after).stream().distinct().count(), "an event twice: " + ids(after));

            // The state view folds the same topics as the event feed, a moment behind it right after a restart.
            JsonNode state = client.get(jobId).body();
            long stateDeadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!"completed".equals(state.path("state").asText()) && System.nanoTime() < stateDeadline) {
                Thread.sleep(200);
                state = client.get(jobId).body();
            }
            assertEquals("completed", state.path("state").asText(), String.valueOf(state));
            assertEquals(1, state.path("attempts").asInt());

            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (deliveredTypes(receiver, jobId).size() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertEquals(Set.of(JobEvent.STARTED, JobEvent.COMPLETED), deliveredTypes(receiver, jobId),
                    "webhook deliveries lost across the restart");
            Map<String, List<WebhookReceiver.Delivery>> byId = GatewayWebhooksTest.ofJob(receiver.deliveries, jobId)
                    .stream().collect(Collectors.groupingBy(d -> d.headers().get("webhook-id")));
            assertEquals(2, byId.size(), "one webhook-id per event, copies share it: " + byId.keySet());
            for (WebhookReceiver.Delivery d : GatewayWebhooksTest.ofJob(receiver.deliveries, jobId)) {
                assertTrue(GatewayClient.verifyWebhook(SECRET, d.headers(), d.body()), "signature of " + d.headers());
            }
            System.out.printf("GatewayRestartIT: events before the kill %s, after %s, deliveries per webhook-id %s%n",
                    ids(before), ids(after), byId.entrySet().stream()
                            .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().size())));
        }
    }

    /**
     * The console (served by this gateway) shows the packaged worker alive from its heartbeats, and lost
     * once the worker is SIGKILLed: no goodbye record, the beats just stop. Runs after the restart test,
     * which needs the worker. Mutation checked (on the in-process version of this test, which stopped the
     * heartbeat without its goodbye): Workers.of ignoring the silence kept the worker "alive".
     */
    @Test
    @Order(2)
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void aSigkilledWorkerShowsAsLostInTheConsole() throws Exception {
        try (ConsoleBrowser browser = new ConsoleBrowser("http://127.0.0.1:" + gatewayPort)) {
            Page page = browser.signedIn(OPERATOR_KEY);
            page.navigate(browser.url("/console/fleet"));
            String status = "tr[data-worker='" + WORKER_ID + "'] [data-status]";
            ConsoleBrowser.reloadUntil(page, status, "alive");
            worker.destroyForcibly(); // SIGKILL
            assertTrue(worker.waitFor(30, TimeUnit.SECONDS), "the worker survived SIGKILL");
            ConsoleBrowser.reloadUntil(page, status, "lost");
            browser.shoot(page, "fleet-lost");
        }
    }

    private static Set<String> deliveredTypes(WebhookReceiver receiver, String jobId) {
        return GatewayWebhooksTest.ofJob(receiver.deliveries, jobId).stream().map(GatewayWebhooksTest::type)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static List<String> ids(List<GatewayClient.Event> events) {
        return events.stream().map(GatewayClient.Event::id).toList();
    }

    private static final class StopReading extends RuntimeException {
        StopReading() {
            super(null, null, false, false);
        }
    }

    private static void startGateway() throws IOException {
        generation++;
        gatewayLog = dir.resolve("gateway-" + generation + ".log");
        gateway = start(List.of("-Dquarkus.profile=gateway",
                "-Dfluxfleet.tenants.file=" + dir.resolve("tenants.yaml"),
                "-Dfluxfleet.gateway.state.dir=" + dir.resolve("gateway-state"),
                "-Dfluxfleet.gateway.webhooks.allow-http=true",
                "-Dfluxfleet.gateway.webhooks.allow-private-addresses=true",
                "-Dfluxfleet.gateway.webhooks.initial-backoff=PT0.5S",
                "-Dfluxfleet.console.operator-key-sha256=" + ApiKeys.sha256Hex(OPERATOR_KEY),
                "-Dfluxfleet.console.secure-cookie=false",
                "-Dfluxfleet.console.lost-after=PT3S",
                "-Dquarkus.http.port=" + gatewayPort), gatewayLog);
    }

    private static Process start(List<String> options, Path log) throws IOException {
        List<String> command = PackagedApps.javaCommand("640m", stack);
        command.add("-XX:TieredStopAtLevel=1");
        command.addAll(options);
        return PackagedApps.start(command, log);
    }
}
