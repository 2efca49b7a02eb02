package io.fluxfleet.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.job.JobJson;
import io.fluxfleet.worker.RecordHeaders;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * The dead-letter topic as the console shows it: the latest dead letter of each job (value: the failed
 * event; headers: the request copy, attempts, first failure, every attempt's error; docs/reliability.md).
 */
@ApplicationScoped
public class DeadLetters {

    static final int KEPT = 10_000;
    private static final ObjectMapper JSON = JobJson.newMapper();

    /** One attempt's error. */
    public record AttemptError(int attempt, String code, String message, String at, String workerId) {
    }

    /**
     * One dead-lettered job.
     *
     * @param request   the request as it came (a copy cut to 8 KiB when {@code truncated})
     * @param permanent a validation failure: the same request fails the same way, so a replay needs an edit
     */
    public record DeadLetter(String jobId, String tenant, String code, String message, int attempts,
            Instant firstFailure, Instant at, List<AttemptError> errors, String request, boolean truncated,
            boolean permanent, String workerId) {
    }

    private final Map<String, DeadLetter> byJob = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, DeadLetter> eldest) {
            return size() > KEPT;
        }
    };

    void read(ConsumerRecord<String, byte[]> r) {
        if (r.key() == null || r.value() == null) {
            return;
        }
        JsonNode failed = parse(r.value());
        String request = header(r, RecordHeaders.H_REQUEST);
        JsonNode requestJson = request == null ? null : parseOrNull(request);
        String code = Optional.ofNullable(header(r, RecordHeaders.H_REASON)).orElse(failed.path("code").asText("UNKNOWN"));
        String tenant = requestJson != null && requestJson.path("tenant").isTextual()
                ? requestJson.path("tenant").asText() : failed.path("labels").path("tenant").asText(null);
        DeadLetter dead = new DeadLetter(r.key(), tenant, code,
                Optional.ofNullable(header(r, RecordHeaders.H_MESSAGE)).orElse(failed.path("message").asText("")),
                intOr(header(r, RecordHeaders.H_ATTEMPT), failed.path("attempt").asInt(1)),
                instantOr(header(r, RecordHeaders.H_FIRST_FAILURE), Instant.ofEpochMilli(r.timestamp())),
                Instant.ofEpochMilli(r.timestamp()), errors(failed, header(r, RecordHeaders.H_ERRORS)),
                request == null ? null : pretty(requestJson, request),
                "true".equals(header(r, RecordHeaders.H_REQUEST_TRUNCATED)), permanent(code),
                header(r, RecordHeaders.H_WORKER));
        synchronized (byJob) {
            byJob.remove(r.key());
            byJob.put(r.key(), dead);
        }
    }

    /** The dead letters the filter accepts, newest first. */
    public List<DeadLetter> list(Predicate<DeadLetter> filter) {
        List<DeadLetter> all;
        synchronized (byJob) {
            all = new ArrayList<>(byJob.values());
        }
        return all.stream().filter(filter).sorted(Comparator.comparing(DeadLetter::at).reversed()).toList();
    }

    public Optional<DeadLetter> get(String jobId) {
        synchronized (byJob) {
            return Optional.ofNullable(byJob.get(jobId));
        }
    }

    static boolean permanent(String code) {
        try {
            return ErrorCode.valueOf(code).isValidation();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static List<AttemptError> errors(JsonNode failed, String header) {
        JsonNode list = header != null ? parseOrNull(header) : null;
        if (list == null || !list.isArray()) {
            list = failed.path("errors");
        }
        List<AttemptError> errors = new ArrayList<>();
        for (JsonNode e : list) {
            errors.add(new AttemptError(e.path("attempt").asInt(), e.path("code").asText(), e.path("message").asText(),
                    e.path("timestamp").asText(), e.path("workerId").asText(null)));
        }
        if (errors.isEmpty() && failed.has("code")) {
            errors.add(new AttemptError(failed.path("attempt").asInt(1), failed.path("code").asText(),
                    failed.path("message").asText(), failed.path("timestamp").asText(), failed.path("workerId").asText(null)));
        }
        return errors;
    }

    private static String header(ConsumerRecord<String, byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static JsonNode parse(byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (java.io.IOException e) {
            return JSON.createObjectNode();
        }
    }

    private static JsonNode parseOrNull(String text) {
        try {
            return JSON.readTree(text);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private static String pretty(JsonNode json, String raw) {
        try {
            return json == null ? raw : JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json);
        } catch (java.io.IOException e) {
            return raw;
        }
    }

    private static int intOr(String text, int fallback) {
        try {
            return text == null ? fallback : Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static Instant instantOr(String text, Instant fallback) {
        try {
            return text == null ? fallback : Instant.parse(text.trim());
        } catch (RuntimeException e) {
            return fallback;
        }
    }
}
