package io.fluxfleet.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fluxfleet.job.JobJson;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * What the job state does not keep of a request, for the jobs table and the gallery: prompt (cut),
 * preset, size, model, from the jobs topic of the console's window; bounded.
 */
@ApplicationScoped
public class RecentRequests {

    static final int KEPT = 20_000;
    static final int PROMPT_CHARS = 160;
    private static final ObjectMapper JSON = JobJson.newMapper();

    /** A request's few fields the console shows. */
    public record Summary(String prompt, String preset, int width, int height, String model, int steps) {
        public String size() {
            return width > 0 ? width + "×" + height : "—";
        }
    }

    private final Map<String, Summary> byJob = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Summary> eldest) {
            return size() > KEPT;
        }
    };

    void read(ConsumerRecord<String, byte[]> r) {
        if (r.key() == null || r.value() == null) {
            return;
        }
        JsonNode q;
        try {
            q = JSON.readTree(r.value());
        } catch (java.io.IOException e) {
            return;
        }
        String prompt = q.path("prompt").asText("");
        Summary s = new Summary(prompt.length() > PROMPT_CHARS ? prompt.substring(0, PROMPT_CHARS) + "…" : prompt,
                q.path("acceleration").asText("none"), q.path("width").asInt(1024), q.path("height").asInt(1024),
                q.path("model").asText("dev"), q.path("steps").asInt(0));
        synchronized (byJob) {
            byJob.put(r.key(), s);
        }
    }

    public Optional<Summary> get(String jobId) {
        synchronized (byJob) {
            return Optional.ofNullable(byJob.get(jobId));
        }
    }
}
