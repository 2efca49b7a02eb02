package io.fluxfleet.worker.intake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fluxfleet.job.JobJson;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jboss.logging.Logger;

/** The attempts topic as read so far: the latest entry per {@code <jobId>/<workerId>} key (tombstones remove). */
final class AttemptEntries {

    private static final Logger LOG = Logger.getLogger(AttemptEntries.class);
    private static final ObjectMapper JSON = JobJson.newMapper();
    private static final char SEPARATOR = '/';

    /**
     * One worker's entry for one job, with where its latest claim or start (the record where
     * {@code running + claims} rose) landed on the topic.
     */
    record Entry(String jobId, String workerId, int open, int running, int claims, long renewedAtMs, int partition,
            long startOffset) {
    }

    /** The key suffix, in place of a worker id, of a job's {@link Handled} marker. */
    static final String HANDLED = "~handled";

    /**
     * The latest delivery of a job that some worker took to a retry or a dead letter: which attempt, and the
     * timestamp of its record.
     */
    record Handled(int attempt, long recordTimestampMs, String outcome) {
    }

    /** The key suffix of a job's replay marker: the replay (its replayed-at header) whose start reset the job. */
    static final String REPLAY = "~replay";

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final Map<String, Handled> handled = new ConcurrentHashMap<>();
    private final Map<String, String> replays = new ConcurrentHashMap<>();

    void accept(ConsumerRecord<String, byte[]> r) {
        int at = r.key() == null ? -1 : r.key().lastIndexOf(SEPARATOR);
        if (at <= 0) {
            return;
        }
        if (r.key().endsWith(SEPARATOR + HANDLED)) {
            acceptHandled(r.key().substring(0, at), r.value());
            return;
        }
        if (r.key().endsWith(SEPARATOR + REPLAY)) {
            if (r.value() == null) {
                replays.remove(r.key().substring(0, at));
            } else {
                replays.put(r.key().substring(0, at), new String(r.value(), StandardCharsets.UTF_8));
            }
            return;
        }
        if (r.value() == null) {
            entries.remove(r.key());
            return;
        }
        try {
            JsonNode node = JSON.readTree(r.value());
            int open = node.path("open").asInt(0);
            // Entries written before "running" existed: every open start counts as running while its lease lives.
            int running = node.has("running") ? node.path("running").asInt(0) : open;
            int claims = node.path("claims").asInt(0);
            Entry before = entries.get(r.key());
            long startOffset = before != null && before.partition() == r.partition()
                    && running + claims <= before.running() + before.claims() ? before.startOffset() : r.offset();
            entries.put(r.key(), new Entry(r.key().substring(0, at), r.key().substring(at + 1), open, running, claims,
                    node.path("renewedAt").asLong(0), r.partition(), startOffset));
        } catch (Exception e) {
            LOG.debugf("unreadable attempts record %s: %s", r.key(), e.toString());
        }
    }

    private void acceptHandled(String jobId, byte[] value) {
        if (value == null) {
            handled.remove(jobId);
            return;
        }
        try {
            JsonNode node = JSON.readTree(value);
            handled.put(jobId, new Handled(node.path("attempt").asInt(0), node.path("recordTimestamp").asLong(-1),
                    node.path("outcome").asText("")));
        } catch (Exception e) {
            LOG.debugf("unreadable handled marker of %s: %s", jobId, e.toString());
        }
    }

    Handled handled(String jobId) {
        return handled.get(jobId);
    }

    /** The replayed-at value of the replay that last reset jobId, or null. */
    String replay(String jobId) {
        return replays.get(jobId);
    }

    Entry get(String key) {
        return entries.get(key);
    }

    /** Every worker's entry of jobId. */
    List<Entry> of(String jobId) {
        String prefix = jobId + SEPARATOR;
        return entries.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)
                && e.getKey().indexOf(SEPARATOR, prefix.length()) < 0).map(Map.Entry::getValue).toList();
    }
}
