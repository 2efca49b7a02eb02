package io.fluxfleet.worker.intake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fluxfleet.job.JobJson;
import io.fluxfleet.worker.FleetConfig;
import io.fluxfleet.worker.KafkaClients;
import io.fluxfleet.worker.WorkerIdentity;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.jboss.logging.Logger;

/**
 * The crash counter: renders started per jobId, kept on the compacted attempts topic (key jobId) and
 * in an in-memory view of it. A job whose count reaches the crash-loop cap is dead-lettered.
 */
@ApplicationScoped
public class AttemptLog {

    private static final Logger LOG = Logger.getLogger(AttemptLog.class);
    private static final ObjectMapper JSON = JobJson.newMapper();

    @Inject
    FleetConfig config;

    @Inject
    KafkaClients kafka;

    @Inject
    WorkerIdentity identity;

    private final Map<String, Integer> attempts = new ConcurrentHashMap<>();
    private TopicView view;

    void onStart(@Observes @Priority(10) StartupEvent event) {
        view = new TopicView(kafka, config.topics().attempts(), this::onRecord);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (view != null) {
            view.close();
        }
    }

    /** True once the view has read the whole topic as it was at startup. */
    public boolean caughtUp() {
        return view != null && view.caughtUp();
    }

    private void onRecord(ConsumerRecord<String, byte[]> r) {
        if (r.key() == null) {
            return;
        }
        if (r.value() == null) {
            attempts.remove(r.key());
            return;
        }
        try {
            int n = JSON.readTree(r.value()).path("attempts").asInt(0);
            attempts.merge(r.key(), n, Math::max);
        } catch (Exception e) {
            LOG.debugf("unreadable attempts record for %s: %s", r.key(), e.toString());
        }
    }

    /** Renders started for jobId, as far as this worker's view knows (waits up to 10 s for the initial catch-up). */
    public int attempts(String jobId) {
        view.awaitCaughtUp(Duration.ofSeconds(10));
        return attempts.getOrDefault(jobId, 0);
    }

    /** Records one more render start for jobId; returns the new count. */
    public int recordStart(String jobId) {
        int n = attempts.merge(jobId, 1, Integer::sum);
        ObjectNode value = JSON.createObjectNode();
        value.put("attempts", n);
        value.put("firstSeen", Instant.now().toString());
        value.put("lastWorker", identity.id());
        send(new ProducerRecord<>(config.topics().attempts(), jobId, value.toString().getBytes(StandardCharsets.UTF_8)));
        return n;
    }

    /** A tombstone for jobId: the job reached a terminal state. */
    public void forget(String jobId) {
        attempts.remove(jobId);
        try {
            kafka.producer().send(new ProducerRecord<>(config.topics().attempts(), jobId, null));
        } catch (RuntimeException e) {
            LOG.debugf("attempts tombstone for %s: %s", jobId, e.toString());
        }
    }

    private void send(ProducerRecord<String, byte[]> record) {
        try {
            kafka.producer().send(record).get(config.render().publishTimeout().toMillis() * 4, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted recording an attempt of " + record.key(), e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot record an attempt of " + record.key() + ": " + e, e);
        }
    }
}
