package io.fluxfleet.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fluxfleet.gateway.GatewayProducer;
import io.fluxfleet.worker.RecordHeaders;
import io.fluxfleet.job.JobJson;
import io.fluxfleet.worker.FleetConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * Replays dead-lettered jobs: the request goes back onto the jobs topic as a new record (a new attempt
 * history: jobs records start at attempt 1), and who replayed it, when and whether the request was
 * edited goes onto the replays topic, which the job page's timeline shows. A validation failure (or a
 * cut request copy) is replayed only with an edited request: the same bytes would fail the same way.
 */
@ApplicationScoped
public class Replays {

    private static final ObjectMapper JSON = JobJson.newMapper();

    /** One replay, as recorded. */
    public record Replay(String jobId, String by, Instant at, String code, boolean edited) {
    }

    /** A replay the console refused, and why. */
    public static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message);
        }
    }

    @Inject
    DeadLetters deadLetters;

    @Inject
    GatewayProducer producer;

    @Inject
    FleetConfig fleet;

    @Inject
    ConsoleConfig config;

    private final Map<String, List<Replay>> byJob = new ConcurrentHashMap<>();

    void read(ConsumerRecord<String, byte[]> r) {
        if (r.key() == null || r.value() == null) {
            return;
        }
        try {
            remember(JSON.readValue(r.value(), Replay.class));
        } catch (java.io.IOException e) {
            // not a replay record
        }
    }

    private void remember(Replay replay) {
        List<Replay> list = byJob.computeIfAbsent(replay.jobId(), k -> new ArrayList<>());
        synchronized (list) {
            if (!list.contains(replay)) {
                list.add(replay);
            }
        }
    }

    public List<Replay> of(String jobId) {
        List<Replay> list = byJob.get(jobId);
        if (list == null) {
            return List.of();
        }
        synchronized (list) {
            return List.copyOf(list);
        }
    }

    /**
     * Replays the job's dead letter, with {@code editedRequest} when given (blank: the request as it was).
     */
    public Replay replay(Viewer who, String jobId, String editedRequest) {
        if (!who.operator()) {
            throw new Refused("only an operator replays dead letters");
        }
        DeadLetters.DeadLetter dead = deadLetters.get(jobId)
                .orElseThrow(() -> new Refused("job " + jobId + " is not in the dead-letter topic"));
        String original = dead.request();
        String body = editedRequest == null || editedRequest.isBlank() ? original : editedRequest;
        if (body == null) {
            throw new Refused("the dead letter of " + jobId + " carries no request copy: paste the request to replay it");
        }
        JsonNode request = parse(body);
        boolean edited = original == null || !request.equals(parseOrNull(original));
        if (dead.permanent() && !edited) {
            throw new Refused(dead.code() + " is a validation failure: the same request fails the same way on every"
                    + " worker. Edit the request, then replay.");
        }
        if (dead.truncated() && !edited) {
            throw new Refused("the dead letter keeps only the first 8 KiB of this request: paste the whole request");
        }
        if (!jobId.equals(request.path("jobId").asText(null))) {
            throw new Refused("the request's jobId must stay " + jobId);
        }
        Instant now = Instant.now();
        ProducerRecord<String, byte[]> job = new ProducerRecord<>(fleet.topics().jobs(), jobId,
                JobJson.toJson(request).getBytes(StandardCharsets.UTF_8));
        job.headers().add(new RecordHeader(RecordHeaders.H_REPLAYED_BY, who.name().getBytes(StandardCharsets.UTF_8)));
        job.headers().add(new RecordHeader(RecordHeaders.H_REPLAYED_AT, now.toString().getBytes(StandardCharsets.UTF_8)));
        Replay replay = new Replay(jobId, who.name(), now, dead.code(), edited);
        try {
            producer.sendAndAwait(new ProducerRecord<>(config.replaysTopic(), jobId, JSON.writeValueAsBytes(replay)));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        producer.sendAndAwait(job);
        remember(replay);
        return replay;
    }

    private static JsonNode parse(String body) {
        JsonNode node = parseOrNull(body);
        if (!(node instanceof ObjectNode)) {
            throw new Refused("the request is not a JSON object");
        }
        return node;
    }

    private static JsonNode parseOrNull(String text) {
        try {
            return text == null ? null : JSON.readTree(text);
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
