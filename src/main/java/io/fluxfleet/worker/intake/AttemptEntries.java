package io.fluxfleet.worker.intake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fluxfleet.job.JobJson;
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

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    void accept(ConsumerRecord<String, byte[]> r) {
        int at = r.key() == null ? -1 : r.key().lastIndexOf(SEPARATOR);
        if (at <= 0) {
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
