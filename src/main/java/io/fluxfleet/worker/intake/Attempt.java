package io.fluxfleet.worker.intake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobJson;
import io.fluxfleet.worker.RecordHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.jboss.logging.Logger;

/** Where a record stands: its attempt number, first failure and the errors of earlier attempts. */
public record Attempt(int number, Instant firstFailure, List<JobEvent.AttemptError> errors) {

    public static final Attempt FIRST = new Attempt(1, null, List.of());

    private static final Logger LOG = Logger.getLogger(Attempt.class);
    private static final ObjectMapper JSON = JobJson.newMapper();

    /** The attempt a retry-topic record carries in its headers. */
    public static Attempt of(ConsumerRecord<String, byte[]> record) {
        int n = (int) Math.max(1, longHeader(record, RecordHeaders.H_ATTEMPT, 1));
        String first = header(record, RecordHeaders.H_FIRST_FAILURE);
        List<JobEvent.AttemptError> errors = new ArrayList<>();
        String json = header(record, RecordHeaders.H_ERRORS);
        if (json != null) {
            try {
                for (JsonNode e : JSON.readTree(json)) {
                    errors.add(JSON.treeToValue(e, JobEvent.AttemptError.class));
                }
            } catch (Exception e) {
                LOG.warnf("job %s: unreadable %s header: %s", record.key(), RecordHeaders.H_ERRORS, e.toString());
            }
        }
        return new Attempt(n, first != null ? Instant.parse(first) : null, errors);
    }

    /** The not-before time (epoch ms) of a retry-topic record; 0 when it has none. */
    public static long notBefore(ConsumerRecord<String, byte[]> record) {
        return longHeader(record, RecordHeaders.H_NOT_BEFORE, 0);
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static long longHeader(ConsumerRecord<String, byte[]> record, String name, long fallback) {
        try {
            String v = header(record, name);
            return v == null ? fallback : Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
