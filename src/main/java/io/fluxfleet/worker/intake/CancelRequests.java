package io.fluxfleet.worker.intake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fluxfleet.job.JobJson;
import io.fluxfleet.worker.FleetConfig;
import io.fluxfleet.worker.KafkaClients;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.LinkedHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Cancel requests from the control topic (key jobId, value {"type":"cancel"}), bounded and time-limited. */
@ApplicationScoped
public class CancelRequests {

    private static final ObjectMapper JSON = JobJson.newMapper();

    @Inject
    FleetConfig config;

    @Inject
    KafkaClients kafka;

    private final LinkedHashMap<String, Instant> cancelled = new LinkedHashMap<>();
    private TopicView view;

    void onStart(@Observes @Priority(10) StartupEvent event) {
        view = new TopicView(kafka, config.topics().control(), this::onRecord);
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
        if (r.key() == null || r.value() == null) {
            return;
        }
        JsonNode node;
        try {
            node = JSON.readTree(r.value());
        } catch (Exception e) {
            return;
        }
        if (!"cancel".equals(node.path("type").asText())) {
            return;
        }
        Instant at = r.timestamp() > 0 ? Instant.ofEpochMilli(r.timestamp()) : Instant.now();
        if (at.plus(config.reliability().cancelTtl()).isAfter(Instant.now())) {
            cancel(r.key(), at);
        }
    }

    /** Remembers a cancel request (bounded, time-limited). */
    public void cancel(String jobId, Instant at) {
        synchronized (cancelled) {
            cancelled.remove(jobId);
            cancelled.put(jobId, at);
            Instant oldest = Instant.now().minus(config.reliability().cancelTtl());
            var it = cancelled.entrySet().iterator();
            while (it.hasNext()) {
                var e = it.next();
                if (cancelled.size() > config.reliability().cancelMaxEntries() || e.getValue().isBefore(oldest)) {
                    it.remove();
                } else {
                    break;
                }
            }
        }
    }

    public boolean isCancelled(String jobId) {
        synchronized (cancelled) {
            Instant at = cancelled.get(jobId);
            return at != null && at.plus(config.reliability().cancelTtl()).isAfter(Instant.now());
        }
    }

    public int cancelledCount() {
        synchronized (cancelled) {
            return cancelled.size();
        }
    }
}
