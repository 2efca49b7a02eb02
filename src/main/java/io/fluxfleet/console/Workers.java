package io.fluxfleet.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fluxfleet.job.JobJson;
import io.fluxfleet.worker.Heartbeat;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** The workers' latest heartbeats (the compacted heartbeat topic), and which of them are lost. */
@ApplicationScoped
public class Workers {

    private static final ObjectMapper JSON = JobJson.newMapper();

    /** A worker as the fleet page shows it: alive, draining / stopped (said goodbye) or lost (stopped beating). */
    public record Worker(Heartbeat.Beat beat, String status, Duration silence) {
        public String silenceText() {
            return Durations.text(silence);
        }
    }

    @Inject
    ConsoleConfig config;

    private final Map<String, Heartbeat.Beat> latest = new ConcurrentHashMap<>();

    void read(ConsumerRecord<String, byte[]> r) {
        if (r.key() == null) {
            return;
        }
        if (r.value() == null) {
            latest.remove(r.key());
            return;
        }
        try {
            latest.put(r.key(), JSON.readValue(r.value(), Heartbeat.Beat.class));
        } catch (java.io.IOException e) {
            // a record from another version: skipped
        }
    }

    public List<Worker> all(Instant now) {
        return latest.values().stream().map(b -> of(b, now)).sorted(Comparator.comparing(w -> w.beat().workerId()))
                .toList();
    }

    Worker of(Heartbeat.Beat beat, Instant now) {
        Duration silence = Duration.between(beat.at(), now);
        Duration lostAfter = config.lostAfter().compareTo(Duration.ofMillis(3 * beat.intervalMs())) > 0
                ? config.lostAfter() : Duration.ofMillis(3 * beat.intervalMs());
        boolean silent = silence.compareTo(lostAfter) > 0;
        // A graceful stop says goodbye and may drain for a while; a killed worker just goes silent.
        String status = beat.stopping() ? (silent ? "stopped" : "draining") : silent ? "lost" : "alive";
        return new Worker(beat, status, silence.isNegative() ? Duration.ZERO : silence);
    }
}
