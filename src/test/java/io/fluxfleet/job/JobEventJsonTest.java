package io.fluxfleet.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class JobEventJsonTest {

    private static final ObjectMapper PLAIN = new ObjectMapper();

    static Stream<JobEvent> allEvents() {
        return Stream.of(Samples.started(), Samples.progress(), Samples.completed(), Samples.completedWithoutPresignedUrl(),
                Samples.failedAfterRetries(), Samples.rejected());
    }

    private static JsonNode tree(JobEvent event) throws Exception {
        return PLAIN.readTree(JobJson.writeEvent(event));
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @ParameterizedTest
    @MethodSource("allEvents")
    void eventsParseBackEqual(JobEvent event) {
        byte[] json = JobJson.writeEvent(event);
        assertEquals(event, JobJson.readEvent(json));
        assertEquals(event, JobJson.readEvent(json, event.getClass()));
    }

    @ParameterizedTest
    @MethodSource("allEvents")
    void typePropertyIsTheCloudEventsType(JobEvent event) throws Exception {
        JsonNode json = tree(event);
        assertEquals(event.cloudEventType(), json.get("type").textValue());
        assertEquals("type", fieldNames(json).get(0), "the discriminator comes first");
        assertEquals(1, json.get("version").intValue());
    }

    @Test
    void cloudEventsNames() {
        assertEquals("io.fluxfleet.job.started", Samples.started().cloudEventType());
        assertEquals("io.fluxfleet.job.progress", Samples.progress().cloudEventType());
        assertEquals("io.fluxfleet.job.completed", Samples.completed().cloudEventType());
        assertEquals("io.fluxfleet.job.failed", Samples.failedAfterRetries().cloudEventType());
        assertEquals("/fluxfleet/worker/worker-a", JobEvent.source("worker-a"));
    }

    @Test
    void startedFieldNames() throws Exception {
        assertEquals(List.of("type", "version", "jobId", "workerId", "attempt", "timestamp", "device", "queueWaitMs"),
                fieldNames(tree(Samples.started())));
        assertEquals("2030-01-01T12:00:00Z", tree(Samples.started()).get("timestamp").textValue(), "ISO-8601 instants");
    }

    @Test
    void progressFieldNames() throws Exception {
        assertEquals(List.of("type", "version", "jobId", "workerId", "attempt", "timestamp", "step", "totalSteps", "fraction",
                "sigma", "tokenEvaluations", "elapsedMs"), fieldNames(tree(Samples.progress())));
    }

    @Test
    void completedFieldNames() throws Exception {
        JsonNode json = tree(Samples.completed());
        assertEquals(List.of("type", "version", "jobId", "workerId", "attempt", "timestamp", "device", "bucket", "key",
                "sidecarKey", "contentType", "bytes", "sha256", "width", "height", "seed", "model", "modelKind", "acceleration",
                "steps", "timings", "tokenEvaluations", "tokenEvaluationsPerStage", "flopsSavedFraction", "labels", "presignedUrl",
                "presignedUrlExpiresAt", "loras"), fieldNames(json));
        assertEquals(List.of("queueWaitMs", "textEncodeMs", "denoiseMs", "decodeMs", "encodeMs", "uploadMs", "totalMs"),
                fieldNames(json.get("timings")));
        assertEquals("dev", json.get("model").textValue());
        assertEquals("dev", json.get("modelKind").textValue());
        assertEquals("jit-4x", json.get("acceleration").textValue());
        assertEquals("2030-01-01T13:00:20Z", json.get("presignedUrlExpiresAt").textValue());
    }

    /**
     * A completed event from before model catalogs (model dev or schnell, no modelKind) still reads,
     * and a catalog model's name and kind round-trip.
     * Mutation check: with modelKind made required in Completed's constructor (requireNonNull) the old
     * event failed to read and this test failed.
     */
    @Test
    void completedEventsWithoutAModelKindStillRead() throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode old = (com.fasterxml.jackson.databind.node.ObjectNode) tree(Samples.completed());
        old.remove("modelKind");
        old.put("model", "schnell");
        JobEvent.Completed read = JobJson.readEvent(PLAIN.writeValueAsBytes(old), JobEvent.Completed.class);
        assertEquals("schnell", read.model());
        assertNull(read.modelKind());
        assertFalse(tree(read).has("modelKind"), "an unknown kind is left out, not written as null");

        JobEvent.Completed c = Samples.completed();
        JobEvent.Completed custom = new JobEvent.Completed(c.version(), c.jobId(), c.workerId(), c.attempt(), c.timestamp(),
                c.device(), c.bucket(), c.key(), c.sidecarKey(), c.contentType(), c.bytes(), c.sha256(), c.width(),
                c.height(), c.seed(), "dev-anime", ModelKind.DEV, c.acceleration(), c.steps(), c.timings(),
                c.tokenEvaluations(), c.tokenEvaluationsPerStage(), c.flopsSavedFraction(), c.labels(),
                c.presignedUrl(), c.presignedUrlExpiresAt(), c.loras());
        assertEquals(custom, JobJson.readEvent(JobJson.writeEvent(custom)));
    }

    @Test
    void documentedNullsAreWrittenAsNull() throws Exception {
        JsonNode completed = tree(Samples.completedWithoutPresignedUrl());
        assertTrue(completed.has("presignedUrl") && completed.get("presignedUrl").isNull());
        assertTrue(completed.has("presignedUrlExpiresAt") && completed.get("presignedUrlExpiresAt").isNull());

        JsonNode rejected = tree(Samples.rejected());
        assertTrue(rejected.has("jobId") && rejected.get("jobId").isNull(), "failed.jobId is null, not missing");
    }

    @Test
    void failedFieldNamesAndRejectionContent() throws Exception {
        JsonNode json = tree(Samples.failedAfterRetries());
        assertEquals(List.of("type", "version", "jobId", "workerId", "attempt", "timestamp", "code", "message", "retryable",
                "errors", "validationErrors", "labels"), fieldNames(json));
        assertEquals(List.of("attempt", "code", "message", "timestamp", "workerId"), fieldNames(json.get("errors").get(0)));
        assertEquals("STORAGE_FAILED", json.get("errors").get(0).get("code").textValue());

        JobEvent.Failed rejected = Samples.rejected();
        assertNull(rejected.jobId());
        assertEquals(ErrorCode.UNKNOWN_FIELD, rejected.code());
        assertFalse(rejected.retryable());
        assertEquals(2, rejected.validationErrors().size(), "unknown 'stpes' and missing jobId");
        JsonNode validationError = tree(rejected).get("validationErrors").get(1);
        assertEquals(List.of("code", "field", "message"), fieldNames(validationError));
        JsonNode withoutField = PLAIN.readTree(JobJson.toJson(new ValidationError(ErrorCode.INVALID_JSON, null, "x")));
        assertFalse(withoutField.has("field"), "no nulls except where documented");
    }

    @Test
    void readingIsStrict() {
        String started = new String(JobJson.writeEvent(Samples.started()), StandardCharsets.UTF_8);
        assertThrows(IllegalArgumentException.class, () -> JobJson.readEvent(bytes(started.replace("\"device\"", "\"devcie\""))),
                "unknown property");
        assertThrows(IllegalArgumentException.class, () -> JobJson.readEvent(bytes(started.replace("\"version\":1", "\"version\":2"))),
                "other versions");
        assertThrows(IllegalArgumentException.class, () -> JobJson.readEvent(bytes(started.replace(",\"device\":\"cuda:0\"", ""))),
                "missing field");
        assertThrows(IllegalArgumentException.class, () -> JobJson.readEvent(bytes(started.replace("\"attempt\":1", "\"attempt\":\"1\""))),
                "no coercion");
        assertThrows(IllegalArgumentException.class, () -> JobJson.readEvent(bytes(started.replace("io.fluxfleet.job.started", "x"))),
                "unknown type");
        assertInstanceOf(JobEvent.Started.class, JobJson.readEvent(bytes(started)));
    }

    @Test
    void recordsCheckTheirInvariants() {
        assertThrows(IllegalArgumentException.class, () -> new JobEvent.Progress(1, "j", "w", 1, Samples.T0, 1, 4, 1.5, 0.5, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new JobEvent.Progress(1, "j", "w", 0, Samples.T0, 1, 4, 0.5, 0.5, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new JobEvent.Started(2, "j", "w", 1, Samples.T0, "cpu", 0));
        JobEvent.Completed c = Samples.completed();
        assertThrows(IllegalArgumentException.class, () -> new JobEvent.Completed(1, "j", "w", 1, Samples.T0, "cpu", "b", "k", "s",
                "image/png", 1, "ABC", 64, 64, 1, "dev", ModelKind.DEV, Acceleration.NONE, 1, c.timings(), 0, List.of(), 0, null, null, null, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new JobEvent.Completed(1, "j", "w", 1, Samples.T0, "cpu", "b", "k", "s",
                "image/png", 1, c.sha256(), 64, 64, 1, "dev", ModelKind.DEV, Acceleration.NONE, 1, c.timings(), 0, List.of(), 0, null, "u", null, List.of()));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
