package io.fluxfleet.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fluxfleet.client.GatewayClient;
import io.fluxfleet.job.JobEvent;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The gateway over HTTP against the real stack and a real worker in the same application: submit,
 * follow SSE to completed, state and image, idempotent resubmission and conflicts, validation,
 * tenant isolation, cancel, rate limit.
 */
@QuarkusTest
@TestProfile(GatewayTestProfile.class)
class GatewayEndToEndTest {

    static final Duration TIMEOUT = Duration.ofMinutes(2);

    @TestHTTPResource("/")
    URL base;

    GatewayClient acme() throws Exception {
        return new GatewayClient(base.toURI(), GatewayTestProfile.ACME_KEY);
    }

    GatewayClient globex() throws Exception {
        return new GatewayClient(base.toURI(), GatewayTestProfile.GLOBEX_KEY);
    }

    static String job(String jobId, String extra) {
        return """
                {"jobId": "%s", "prompt": "a lighthouse at dusk", "width": 64, "height": 64, "steps": 2,
                 "seed": 7, "acceleration": "none", "labels": {"suite": "gateway"}%s}""".formatted(jobId, extra);
    }

    // Mutation checked (s24): the resume ignoring Last-Event-ID made the resumed stream repeat the
    // named event and this test failed ("resume repeats the named event").
    @Test
    void submitFollowSseToCompletedThenStateAndImage() throws Exception {
        String jobId = "gw-" + UUID.randomUUID();
        GatewayClient client = acme();
        GatewayClient.Answer accepted = client.submit(job(jobId, ""));
        assertEquals(202, accepted.status(), String.valueOf(accepted.body()));
        assertEquals("/v1/jobs/" + jobId, URI.create(accepted.location()).getPath());
        assertEquals("queued", accepted.body().path("state").asText());

        List<GatewayClient.Event> events = new ArrayList<>();
        GatewayClient.Event last = client.await(jobId, null, TIMEOUT, events::add);
        assertEquals(JobEvent.COMPLETED, last.type());
        List<String> types = events.stream().map(GatewayClient.Event::type).toList();
        assertEquals(List.of(JobEvent.STARTED, JobEvent.PROGRESS, JobEvent.PROGRESS, JobEvent.COMPLETED), types);

        // Resume after the first event: the rest again, nothing before it.
        List<GatewayClient.Event> resumed = new ArrayList<>();
        client.await(jobId, events.get(0).id(), TIMEOUT, resumed::add);
        assertEquals(events.get(events.size() - 1).id(), resumed.get(resumed.size() - 1).id());
        assertTrue(resumed.stream().noneMatch(e -> e.id().equals(events.get(0).id())), "resume repeats the named event");

        JsonNode state = awaitState(client, jobId, "completed");
        assertEquals(1, state.path("attempts").asInt());
        assertEquals(64, state.path("result").path("sha256").asText().length());
        assertTrue(state.path("presignedUrl").asText().startsWith("http"), "acme presigns: " + state);
        assertNotNull(state.path("startedAt").asText(null));
        GatewayClient.Answer image = client.getPath("/v1/jobs/" + jobId + "/image");
        assertEquals(307, image.status());
    }

    // Mutation checked (s24): comparing only the tenant (not the request hash) in Submissions made the different-body
    // submit a 200 and this test failed (expected 409).
    @Test
    void sameJobIdSameBodyIs200DifferentBodyIs409() throws Exception {
        String jobId = "gw-idem-" + UUID.randomUUID();
        GatewayClient client = acme();
        assertEquals(202, client.submit(job(jobId, "")).status());
        GatewayClient.Answer again = client.submit(job(jobId, ""));
        assertEquals(200, again.status(), String.valueOf(again.body()));
        assertEquals(jobId, again.body().path("jobId").asText());
        GatewayClient.Answer different = client.submit(job(jobId, ", \"priority\": 9"));
        assertEquals(409, different.status());
        assertEquals("JOB_ID_CONFLICT", different.body().path("code").asText());
        // another tenant cannot take the jobId either
        assertEquals(409, globex().submit(job(jobId, "")).status());
        client.await(jobId, null, TIMEOUT, e -> { });
    }

    // Mutation checked (s24): ignoring the validator's Invalid result in Submissions made the first bad request a 500
    // (not 400 INVALID_SIZE) and this test failed.
    @Test
    void invalidRequestsGetTheContractsErrorCodes() throws Exception {
        GatewayClient client = acme();
        GatewayClient.Answer size = client.submit(job("gw-bad-" + UUID.randomUUID(), "").replace("\"width\": 64", "\"width\": 65"));
        assertEquals(400, size.status());
        assertEquals("INVALID_SIZE", size.body().path("code").asText());
        GatewayClient.Answer typo = client.submit(job("gw-bad-" + UUID.randomUUID(), ", \"stpes\": 3"));
        assertEquals("UNKNOWN_FIELD", typo.body().path("code").asText());
        GatewayClient.Answer deep = client.submit("{\"jobId\": \"x\", \"labels\": " + "[".repeat(20) + "]".repeat(20) + "}");
        assertEquals(400, deep.status());
        assertEquals("INVALID_JSON", deep.body().path("code").asText());
        GatewayClient.Answer hook = client.submit(job("gw-bad-" + UUID.randomUUID(),
                ", \"webhook\": {\"url\": \"ftp://example.com/x\"}"));
        assertEquals("INVALID_WEBHOOK", hook.body().path("code").asText());
        assertEquals(401, new GatewayClient(base.toURI(), "no-such-key").get("anything").status());
    }

    // Mutation checked (s24): dropping the tenant filter in JobsResource.owned let globex read acme's job (200); failed.
    @Test
    void anotherTenantsJobIsNotFound() throws Exception {
        String jobId = "gw-x-" + UUID.randomUUID();
        assertEquals(202, acme().submit(job(jobId, "")).status());
        awaitState(acme(), jobId, "completed");
        GatewayClient other = globex();
        assertEquals(404, other.get(jobId).status());
        assertEquals(404, other.cancel(jobId).status());
        assertEquals(404, other.getPath("/v1/jobs/" + jobId + "/image").status());
        assertEquals(404, other.getPath("/v1/jobs/" + jobId + "/events").status());
        assertTrue(other.getPath("/v1/jobs").body().path("jobs").findValuesAsText("jobId").stream()
                .noneMatch(jobId::equals));
        assertTrue(acme().getPath("/v1/jobs?label=suite=gateway").body().path("jobs").findValuesAsText("jobId")
                .contains(jobId));
    }

    // Mutation checked (s24): not producing the control record in JobsResource.cancel let the job complete; failed.
    @Test
    void cancelStopsAJobAndATerminalJobCannotBeCancelled() throws Exception {
        String jobId = "gw-cancel-" + UUID.randomUUID();
        GatewayClient client = acme();
        assertEquals(202, client.submit(job(jobId, "").replace("\"steps\": 2", "\"steps\": 40")
                .replace("a lighthouse", "[[test:slow]] a lighthouse")).status());
        awaitState(client, jobId, "rendering");
        assertEquals(202, client.cancel(jobId).status());
        GatewayClient.Event last = client.await(jobId, null, TIMEOUT, e -> { });
        assertEquals(JobEvent.FAILED, last.type());
        assertEquals("CANCELLED", last.data().path("code").asText());
        awaitState(client, jobId, "failed");
        GatewayClient.Answer again = client.cancel(jobId);
        assertEquals(409, again.status());
        assertEquals("JOB_TERMINAL", again.body().path("code").asText());
    }

    // Mutation checked (s24): not calling throttle in JobsResource.submit: no 429 (expected 1, was 0); failed.
    @Test
    void aTenantOverItsRateGets429WithRetryAfter() throws Exception {
        GatewayClient tiny = new GatewayClient(base.toURI(), GatewayTestProfile.TINY_KEY);
        int limited = 0;
        String retryAfter = null;
        for (int i = 0; i < 3; i++) {
            GatewayClient.Answer a = tiny.submit(job("gw-tiny-" + UUID.randomUUID(), ""));
            if (a.status() == 429) {
                limited++;
                retryAfter = a.retryAfter();
                assertEquals("RATE_LIMITED", a.body().path("code").asText());
            }
        }
        assertEquals(1, limited);
        assertTrue(Integer.parseInt(retryAfter) >= 1);
        // other tenants are not affected
        assertEquals(202, acme().submit(job("gw-after-" + UUID.randomUUID(), "")).status());
    }

    // Mutation checked (s24): a property added to docs/schemas/job-request.v1.schema.json but not to JobRequest made
    // the field sets differ and this test failed (the mirror case, a record component missing from the schema,
    // is the same comparison).
    @Test
    void openApiSchemasComeFromTheContractRecords() throws Exception {
        JsonNode openapi = acme().getPath("/q/openapi?format=json").body();
        JsonNode schemas = openapi.path("components").path("schemas");
        assertEquals(fieldNames(schema("job-request")), fieldNames(schemas.path("JobRequest").path("properties")));
        java.util.Set<String> completed = fieldNames(schema("event-completed"));
        completed.remove("type"); // the CloudEvents type discriminator, written by Jackson, not a record component
        assertEquals(completed, fieldNames(schemas.path("Completed").path("properties")));
        assertTrue(openapi.path("paths").has("/v1/jobs/{id}/events"));
        assertEquals(200, acme().getPath("/q/swagger-ui/").status());
    }

    private static JsonNode schema(String name) throws Exception {
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                java.nio.file.Path.of("docs/schemas/" + name + ".v1.schema.json").toFile()).path("properties");
    }

    private static java.util.Set<String> fieldNames(JsonNode node) {
        java.util.Set<String> names = new java.util.TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    static JsonNode awaitState(GatewayClient client, String jobId, String state) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            GatewayClient.Answer a = client.get(jobId);
            last = a.body();
            if (a.status() == 200 && state.equals(last.path("state").asText())) {
                return last;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("job " + jobId + " not " + state + " within " + TIMEOUT + ": " + last);
    }
}
