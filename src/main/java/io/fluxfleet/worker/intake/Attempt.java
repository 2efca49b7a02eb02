package io.fluxfleet.worker.intake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobJson;
import io.fluxfleet.job.SafeNames;
import io.fluxfleet.job.ValidationError;
import io.fluxfleet.job.ValidationResult;
import io.fluxfleet.worker.JobFailure;
import io.fluxfleet.worker.RecordHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.jboss.logging.Logger;

/** Where a record stands: its attempt number, first failure and the errors of earlier attempts. */
public record Attempt(int number, Instant firstFailure, List<JobEvent.AttemptError> errors) {

    public static final Attempt FIRST = new Attempt(1, null, List.of());

    private static final Logger LOG = Logger.getLogger(Attempt.class);
    private static final ObjectMapper JSON = JobJson.newMapper();

    /**
     * The attempt a retry-topic record carries in its headers. A header that is present but unreadable (not a
     * number, not an instant, not a JSON array of errors) is a rejected record, never an exception that
     * could stop the channel: the caller dead-letters it like an invalid request.
     */
    public static Attempt of(ConsumerRecord<String, byte[]> record) {
        long n = longHeader(record, RecordHeaders.H_ATTEMPT, 1);
        if (n < 1 || n > Integer.MAX_VALUE) {
            throw badHeader(record, RecordHeaders.H_ATTEMPT, "must be an attempt number of 1 or more");
        }
        longHeader(record, RecordHeaders.H_NOT_BEFORE, 0);
        String first = header(record, RecordHeaders.H_FIRST_FAILURE);
        Instant firstFailure = null;
        if (first != null) {
            try {
                firstFailure = Instant.parse(first.trim());
            } catch (DateTimeParseException e) {
                throw badHeader(record, RecordHeaders.H_FIRST_FAILURE, "must be an ISO-8601 instant");
            }
        }
        List<JobEvent.AttemptError> errors = new ArrayList<>();
        String json = header(record, RecordHeaders.H_ERRORS);
        if (json != null) {
            try {
                for (JsonNode e : JSON.readTree(json)) {
                    errors.add(JSON.treeToValue(e, JobEvent.AttemptError.class));
                }
            } catch (Exception e) {
                throw badHeader(record, RecordHeaders.H_ERRORS, "must be a JSON array of attempt errors");
            }
        }
        return new Attempt((int) n, firstFailure, errors);
    }

    /** The not-before time (epoch ms) of a retry-topic record; 0 when it has none or it is unreadable. */
    public static long notBefore(ConsumerRecord<String, byte[]> record) {
        try {
            return longHeader(record, RecordHeaders.H_NOT_BEFORE, 0);
        } catch (JobFailure unreadable) {
            return 0;
        }
    }

    private static JobFailure badHeader(ConsumerRecord<String, byte[]> record, String name, String rule) {
        String message = "retry record header " + name + " " + rule;
        LOG.warnf("record %s: %s", record.key(), message);
        String jobId = record.key() != null && SafeNames.isValidJobId(record.key()) ? record.key() : null;
        return JobFailure.rejected(new ValidationResult.Invalid(jobId, Map.of(),
                List.of(new ValidationError(ErrorCode.INVALID_FIELD, "header:" + name, message))));
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static long longHeader(ConsumerRecord<String, byte[]> record, String name, long fallback) {
        String v = header(record, name);
        try {
            return v == null ? fallback : Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw badHeader(record, name, "must be a whole number");
        }
    }
}
