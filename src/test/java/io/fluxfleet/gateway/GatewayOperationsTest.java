package io.fluxfleet.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.client.GatewayClient;
import io.fluxfleet.job.JobEvent;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What an operator of the gateway relies on besides the API itself: the tenant's model and preset
 * allowlists at submit, SSE heartbeats on idle streams, and the gateway's metrics on /q/metrics.
 */
@QuarkusTest
@TestProfile(GatewayTestProfile.class)
class GatewayOperationsTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TestHTTPResource("/")
    URL base;

    GatewayClient client(String key) throws Exception {
        return new GatewayClient(base.toURI(), key);
    }

    // Mutation checked: validating with the plain JobValidator (no TenantIntake) in Submissions turned both
    // answers into 202s and this test failed.
    @Test
    void aModelOrPresetTheTenantIsNotGivenIs400NotAllowedForTenantAtSubmit() throws Exception {
        GatewayClient limited = client(GatewayTestProfile.LIMITED_KEY);
        GatewayClient.Answer preset = limited.submit(GatewayEndToEndTest.job("gw-lim-" + UUID.randomUUID(), "")
                .replace("\"acceleration\": \"none\"", "\"acceleration\": \"jit-4x\""));
        assertEquals(400, preset.status(), String.valueOf(preset.body()));
        assertEquals("NOT_ALLOWED_FOR_TENANT", preset.body().path("code").asText());
        assertEquals("acceleration", preset.body().path("errors").path(0).path("field").asText(), preset.body().toString());
        GatewayClient.Answer model = limited.submit(GatewayEndToEndTest.job("gw-lim-" + UUID.randomUUID(),
                ", \"model\": \"schnell\""));
        assertEquals(400, model.status(), String.valueOf(model.body()));
        assertEquals("NOT_ALLOWED_FOR_TENANT", model.body().path("code").asText());
        // what it is given passes, and another tenant is not limited by it
        assertEquals(202, limited.submit(GatewayEndToEndTest.job("gw-lim-" + UUID.randomUUID(), "")).status());
        String acmeJob = "gw-lim-" + UUID.randomUUID();
        GatewayClient.Answer acme = client(GatewayTestProfile.ACME_KEY).submit(GatewayEndToEndTest.job(acmeJob, "").replace("\"acceleration\": \"none\"", "\"acceleration\": \"jit-4x\"")
                .replace("\"width\": 64, \"height\": 64", "\"width\": 256, \"height\": 256"));
        assertEquals(202, acme.status(), String.valueOf(acme.body()));
        client(GatewayTestProfile.ACME_KEY).cancel(acmeJob);
    }

    // Mutation checked: with ModelFieldsCheck reporting an unknown name as INVALID_FIELD instead of
    // UNKNOWN_MODEL, the answer's code was INVALID_FIELD and this test failed.
    @Test
    void aModelTheFleetDoesNotKnowIs400UnknownModelAtSubmit() throws Exception {
        GatewayClient acme = client(GatewayTestProfile.ACME_KEY);
        GatewayClient.Answer answer = acme.submit(GatewayEndToEndTest.job("gw-model-" + UUID.randomUUID(),
                ", \"model\": \"dev-anime\""));
        assertEquals(400, answer.status(), String.valueOf(answer.body()));
        assertEquals("UNKNOWN_MODEL", answer.body().path("code").asText(), answer.body().toString());
        assertEquals("model", answer.body().path("errors").path(0).path("field").asText(), answer.body().toString());
        assertTrue(answer.body().path("errors").path(0).path("message").asText().contains("dev, schnell"),
                "names the models this fleet knows (no catalog: dev and schnell): " + answer.body());
    }

    // Mutation checked: not calling stream.keepAlive in JobsResource.events left the idle stream without a
    // single comment line and this test failed.
    @Test
    void anIdleEventStreamGetsHeartbeatCommentLines() throws Exception {
        String jobId = "gw-hb-" + UUID.randomUUID();
        GatewayClient acme = client(GatewayTestProfile.ACME_KEY);
        // a slow render: the stream is idle between progress events (40 steps, one event every 10)
        assertEquals(202, acme.submit(GatewayEndToEndTest.job(jobId, "").replace("\"steps\": 2", "\"steps\": 40")
                .replace("a lighthouse", "[[test:slow]] a lighthouse")).status());
        HttpResponse<InputStream> response = HTTP.send(HttpRequest.newBuilder(base.toURI().resolve("/v1/jobs/" + jobId
                + "/events")).header("Authorization", "Bearer " + GatewayTestProfile.ACME_KEY)
                .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode());
        List<String> lines = new ArrayList<>();
        CompletableFuture<Void> reading = CompletableFuture.runAsync(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    synchronized (lines) {
                        lines.add(line);
                    }
                    if (line.startsWith(":")) {
                        return; // the heartbeat (0.5 s in the test profile)
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            reading.get(20, TimeUnit.SECONDS);
        } finally {
            acme.cancel(jobId);
        }
        synchronized (lines) {
            assertTrue(lines.stream().anyMatch(l -> l.startsWith(": keep-alive")) || lines.stream()
                    .anyMatch(l -> l.equals(":keep-alive")), "no heartbeat comment in " + lines);
        }
        acme.await(jobId, null, GatewayEndToEndTest.TIMEOUT, e -> { });
    }

    // Mutation checked: without metrics.webhook("delivered") in WebhookDispatcher the delivered await failed; with
    // the sha check dropped from Submissions (another batch) the 409 assertion failed. The other meters were not
    // mutated one by one.
    @Test
    void theGatewaysMetricsMove() throws Exception {
        GatewayClient acme = client(GatewayTestProfile.ACME_KEY);
        double accepted = metric("fluxfleet_gateway_submits_total", "tenant=\"acme\"", "outcome=\"accepted\"");
        double repeated = metric("fluxfleet_gateway_submits_total", "tenant=\"acme\"", "outcome=\"repeated\"");
        double conflicts = metric("fluxfleet_gateway_submits_total", "tenant=\"acme\"", "outcome=\"JOB_ID_CONFLICT\"");
        double refused = metric("fluxfleet_gateway_refusals_total", "tenant=\"tiny\"", "reason=\"RATE_LIMITED\"");
        double delivered = metric("fluxfleet_gateway_webhook_deliveries_total", "outcome=\"delivered\"");
        double retried = metric("fluxfleet_gateway_webhook_deliveries_total", "outcome=\"retried\"");
        double folds = metric("fluxfleet_gateway_state_fold_lag_seconds_count");

        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            String jobId = "gw-m-" + UUID.randomUUID();
            String deadPort;
            try (WebhookReceiver gone = WebhookReceiver.start()) {
                deadPort = gone.url();
            }
            String hooked = GatewayEndToEndTest.job(jobId, ", \"webhook\": {\"url\": \"" + receiver.url() + "\"}");
            assertEquals(202, acme.submit(hooked).status());
            assertEquals(200, acme.submit(hooked).status());
            assertEquals(409, acme.submit(GatewayEndToEndTest.job(jobId, ", \"priority\": 3")).status());
            String unreachable = "gw-m-dead-" + UUID.randomUUID();
            assertEquals(202, acme.submit(GatewayEndToEndTest.job(unreachable,
                    ", \"webhook\": {\"url\": \"" + deadPort + "\"}")).status());
            GatewayClient tiny = client(GatewayTestProfile.TINY_KEY);
            for (int i = 0; i < 3; i++) {
                tiny.submit(GatewayEndToEndTest.job("gw-m-tiny-" + UUID.randomUUID(), ""));
            }
            // an open stream shows in the gauge while the job renders
            CompletableFuture<GatewayClient.Event> following = CompletableFuture.supplyAsync(() -> {
                try {
                    return acme.await(jobId, null, GatewayEndToEndTest.TIMEOUT, e -> { });
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            await(() -> metric("fluxfleet_gateway_sse_streams") >= 1 || following.isDone());
            assertEquals(JobEvent.COMPLETED, following.get(2, TimeUnit.MINUTES).type());
            await(() -> metric("fluxfleet_gateway_webhook_deliveries_total", "outcome=\"delivered\"") > delivered);
            await(() -> metric("fluxfleet_gateway_webhook_deliveries_total", "outcome=\"retried\"") > retried);
            acme.await(unreachable, null, GatewayEndToEndTest.TIMEOUT, e -> { });
        }
        assertEquals(accepted + 2, metric("fluxfleet_gateway_submits_total", "tenant=\"acme\"", "outcome=\"accepted\""));
        assertEquals(repeated + 1, metric("fluxfleet_gateway_submits_total", "tenant=\"acme\"", "outcome=\"repeated\""));
        assertEquals(conflicts + 1, metric("fluxfleet_gateway_submits_total", "tenant=\"acme\"",
                "outcome=\"JOB_ID_CONFLICT\""));
        assertTrue(metric("fluxfleet_gateway_refusals_total", "tenant=\"tiny\"", "reason=\"RATE_LIMITED\"") > refused);
        assertTrue(metric("fluxfleet_gateway_state_fold_lag_seconds_count") > folds);
        assertTrue(metric("fluxfleet_gateway_state_lag_records") >= 0);
        await(() -> metric("fluxfleet_gateway_sse_streams") == 0);
    }

    /** The sum of the samples of a Prometheus metric whose labels include all of {@code labels}. */
    double metric(String name, String... labels) throws Exception {
        String text = HTTP.send(HttpRequest.newBuilder(base.toURI().resolve("/q/metrics")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
        double sum = 0;
        boolean found = false;
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || !(line.startsWith(name + "{") || line.startsWith(name + " "))) {
                continue;
            }
            String labelPart = line.contains("{") ? line.substring(line.indexOf('{'), line.lastIndexOf('}') + 1) : "";
            boolean all = true;
            for (String l : labels) {
                all &= labelPart.contains(l);
            }
            if (all) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                found = true;
            }
        }
        return found ? sum : 0;
    }

    private static void await(ThrowingCondition condition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.met()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 60 s");
            }
            Thread.sleep(100);
        }
    }

    private interface ThrowingCondition {
        boolean met() throws Exception;
    }
}
