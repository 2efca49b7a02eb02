package io.fluxfleet.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Read from the rendered overlays: KEDA also scales on the retry group's lag (a retry backlog wakes the pool
 * from zero), with the same connection and security as the jobs trigger; and the jobs topic's
 * {@code max.message.bytes} matches the worker's request size limit, with the retry and DLQ topics able to
 * carry any accepted request.
 *
 * <p>Mutation checks: deleting the retry trigger from k8s/base/scaledobject.yaml fails
 * {@link #kedaWakesThePoolForARetryBacklog}; dropping the prod patch of trigger 1 (no SASL/TLS) fails it too;
 * putting the jobs topic back at 1048576 fails {@link #jobsTopicRecordLimitMatchesTheRequestLimit}.
 */
class RetryScalingAndRecordLimitsTest {

    /** Room for the key, the headers and the record batch overhead above the request bytes. */
    private static final int MAX_OVERHEAD_BYTES = 8 * 1024;
    /** The broker's default max.message.bytes (a topic without the setting gets it). */
    private static final int BROKER_DEFAULT_MAX_MESSAGE_BYTES = 1048588;

    static List<String> overlays() {
        return Rendered.OVERLAYS;
    }

    static List<String> scaledOverlays() {
        return WorkerAgreementTest.scaledOverlays();
    }

    @ParameterizedTest
    @MethodSource("scaledOverlays")
    void kedaWakesThePoolForARetryBacklog(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        WorkerConfig config = r.workerConfig();
        String retryGroup = config.require("fluxfleet.topics.retry-group");
        String retryTopic = config.require("fluxfleet.topics.retry");
        List<JsonNode> triggers = Yamls.list(r.require("ScaledObject", Rendered.WORKER), "spec", "triggers");
        JsonNode jobs = triggers.stream().filter(t -> t.path("metadata").path("consumerGroup").asText()
                .equals(config.require("mp.messaging.incoming.jobs.group.id"))).findFirst().orElseThrow();
        JsonNode retry = triggers.stream().filter(t -> t.path("metadata").path("consumerGroup").asText().equals(retryGroup))
                .findFirst().orElseThrow(() -> new AssertionError(overlay + ": no KEDA trigger on the retry group "
                        + retryGroup + ": a retry backlog would be stranded at zero replicas"));
        JsonNode meta = retry.path("metadata");
        assertEquals("kafka", retry.path("type").asText());
        assertEquals(retryTopic, meta.path("topic").asText(), overlay + ": the retry trigger must watch " + retryTopic);
        assertTrue(r.kafkaTopic(retryTopic).isPresent(), overlay + ": no KafkaTopic " + retryTopic);
        assertEquals("0", meta.path("activationLagThreshold").asText(), "one waiting retry must wake the pool");
        int lagThreshold = Integer.parseInt(meta.path("lagThreshold").asText());
        assertTrue(lagThreshold >= 1 && lagThreshold <= 2, "one or two retries per GPU: " + lagThreshold);
        // RetryIntake reads a new retry group from the earliest offset; KEDA must count that backlog the same way.
        assertEquals("earliest", meta.path("offsetResetPolicy").asText("latest"));
        assertEquals(config.require("kafka.bootstrap.servers"), meta.path("bootstrapServers").asText());
        // Same security as the jobs trigger (TLS, SASL, credentials), or it cannot read the lag in prod.
        for (String key : List.of("sasl", "tls")) {
            assertEquals(jobs.path("metadata").path(key), meta.path(key), overlay + ": retry trigger's " + key);
        }
        assertEquals(jobs.path("authenticationRef"), retry.path("authenticationRef"), overlay + ": retry trigger's credentials");
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void jobsTopicRecordLimitMatchesTheRequestLimit(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        WorkerConfig config = r.workerConfig();
        int maxRequestBytes = Integer.parseInt(config.require("fluxfleet.limits.max-request-bytes"));
        int jobsLimit = maxMessageBytes(r, config.require("mp.messaging.incoming.jobs.topic"));
        assertTrue(jobsLimit >= maxRequestBytes, overlay + ": the jobs topic refuses requests the worker accepts ("
                + jobsLimit + " < " + maxRequestBytes + ")");
        assertTrue(jobsLimit <= maxRequestBytes + MAX_OVERHEAD_BYTES, overlay + ": the jobs topic takes records of "
                + jobsLimit + " bytes that the worker refuses (limit " + maxRequestBytes + "): refuse them at produce time");
        for (String topic : List.of(config.require("fluxfleet.topics.retry"), config.require("fluxfleet.topics.dlq"))) {
            assertTrue(maxMessageBytes(r, topic) >= jobsLimit, overlay + ": " + topic
                    + " carries the request unchanged and must take records as large as the jobs topic's");
        }
    }

    private static int maxMessageBytes(Rendered r, String topic) {
        JsonNode kafkaTopic = r.kafkaTopic(topic).orElseThrow(() -> new AssertionError(r.overlay + ": no KafkaTopic " + topic));
        String value = Yamls.text(kafkaTopic, "spec", "config", "max.message.bytes");
        return value == null ? BROKER_DEFAULT_MAX_MESSAGE_BYTES : Integer.parseInt(value);
    }
}
