package io.fluxfleet.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobJson;
import io.fluxfleet.worker.RecordHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.jboss.logging.Logger;

/**
 * The gateway's Kafka Streams topology.
 *
 * <pre>
 * jobs topic ─┐
 * events ─────┼─▶ fold (RocksDB "job-fold", partitioned by jobId) ─┬─▶ state topic (compacted) ─▶ GlobalKTable "job-state"
 * webhook DLQ ┘                                                    ├─▶ index topic (compacted) ─▶ GlobalKTable "job-index"
 *                                                                  └─▶ webhooks topic (deliveries)
 * </pre>
 *
 * The fold runs once per partition across the replicas (one application.id); its output is read
 * whole by every replica into two global tables, so any replica answers for any job from local
 * RocksDB without calls between replicas (see docs/gateway.md for why not interactive queries).
 * Jobs past retention are removed by a punctuator that writes tombstones.
 */
final class JobStateTopology {

    static final String FOLD_STORE = "job-fold";
    static final String STATE_STORE = "job-state";
    static final String INDEX_STORE = "job-index";
    private static final Logger LOG = Logger.getLogger(JobStateTopology.class);

    /** Topic names and retention the topology needs. */
    record Settings(java.util.List<String> jobsTopics, String eventsTopic, String stateTopic, String indexTopic, String webhooksTopic,
            String webhookDlqTopic, Duration retention, Duration retentionScan) {
    }

    private JobStateTopology() {
    }

    static Topology build(Settings s, LongConsumer foldLagMs) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.globalTable(s.stateTopic(), Consumed.with(Serdes.String(), Serdes.ByteArray()),
                Materialized.as(Stores.persistentKeyValueStore(STATE_STORE)));
        builder.globalTable(s.indexTopic(), Consumed.with(Serdes.String(), Serdes.ByteArray()),
                Materialized.as(Stores.persistentKeyValueStore(INDEX_STORE)));
        Topology topology = builder.build();
        var keys = Serdes.String();
        var values = Serdes.ByteArray();
        topology.addSource("jobs", keys.deserializer(), values.deserializer(), s.jobsTopics().toArray(String[]::new));
        topology.addSource("events", keys.deserializer(), values.deserializer(), s.eventsTopic());
        topology.addSource("webhook-dlq", keys.deserializer(), values.deserializer(), s.webhookDlqTopic());
        topology.addProcessor("fold", () -> new Fold(s, foldLagMs), "jobs", "events", "webhook-dlq");
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(FOLD_STORE), keys, values),
                "fold");
        topology.addSink("state-out", s.stateTopic(), keys.serializer(), values.serializer(), "fold");
        topology.addSink("index-out", s.indexTopic(), keys.serializer(), values.serializer(), "fold");
        topology.addSink("webhooks-out", s.webhooksTopic(), keys.serializer(), values.serializer(), "fold");
        return topology;
    }

    /** The index key: newest first within a tenant, then jobId. */
    static String indexKey(String tenant, Instant submittedAt, String jobId) {
        long inverted = Long.MAX_VALUE - (submittedAt == null ? 0 : submittedAt.toEpochMilli());
        return tenantPrefix(tenant) + String.format("%019d", inverted) + "\u0000" + jobId;
    }

    static String tenantPrefix(String tenant) {
        return (tenant == null ? "" : tenant) + "\u0000";
    }

    /** Folds every record of a job into its state and writes the outputs. */
    private static final class Fold implements Processor<String, byte[], String, byte[]> {

        private final Settings settings;
        private final LongConsumer foldLagMs;
        private ProcessorContext<String, byte[]> context;
        private KeyValueStore<String, byte[]> store;

        Fold(Settings settings, LongConsumer foldLagMs) {
            this.settings = settings;
            this.foldLagMs = foldLagMs;
        }

        @Override
        public void init(ProcessorContext<String, byte[]> context) {
            this.context = context;
            this.store = context.getStateStore(FOLD_STORE);
            context.schedule(settings.retentionScan(), PunctuationType.WALL_CLOCK_TIME, this::expire);
        }

        @Override
        public void process(Record<String, byte[]> record) {
            String jobId = record.key();
            if (jobId == null || record.value() == null) {
                return;
            }
            String topic = context.recordMetadata().map(m -> m.topic()).orElse("");
            JobState previous = read(store.get(jobId));
            try {
                JobState next;
                if (settings.jobsTopics().contains(topic)) {
                    JsonNode request = JobStateFold.JSON.readTree(record.value());
                    if (!(request instanceof ObjectNode)) {
                        return; // a poison job record: the worker answers it with a failed event
                    }
                    next = JobStateFold.submitted(previous, jobId, request, Submission.readFrom(record.headers()),
                            Instant.ofEpochMilli(record.timestamp()));
                    if (header(record, RecordHeaders.H_REPLAYED_AT) != null) {
                        next = JobStateFold.replayed(next, Instant.ofEpochMilli(record.timestamp()));
                    }
                } else if (topic.equals(settings.eventsTopic())) {
                    JobEvent event = JobJson.readEvent(record.value());
                    String id = header(record, "ce_id");
                    if (id == null) {
                        id = jobId + "-" + context.recordMetadata().map(m -> m.partition() + "-" + m.offset()).orElse("");
                    }
                    next = JobStateFold.event(previous, jobId, id, event);
                    if (previous == null || next.events().size() > previous.events().size()) {
                        webhook(next, id, event);
                    }
                } else {
                    WebhookDelivery dead = JobStateFold.JSON.readValue(record.value(), WebhookDelivery.class);
                    next = JobStateFold.deadDelivery(previous, jobId, dead.dead(Instant.ofEpochMilli(record.timestamp())));
                }
                write(previous, next);
                foldLagMs.accept(context.currentSystemTimeMs() - record.timestamp());
            } catch (Exception e) {
                LOG.warnf("job %s: record of %s not folded (%s)", jobId, topic, e.toString());
            }
        }

        private void webhook(JobState state, String id, JobEvent event) throws Exception {
            WebhookSpec spec = state.webhook();
            if (spec == null || !spec.wants(event.cloudEventType())) {
                return;
            }
            ObjectNode body = JobStateFold.JSON.createObjectNode();
            body.put("type", event.cloudEventType());
            body.put("timestamp", event.timestamp().toString());
            body.set("data", JobStateFold.JSON.valueToTree(event));
            Instant now = Instant.now();
            WebhookDelivery delivery = new WebhookDelivery(id, state.tenant(), state.jobId(), spec.url(),
                    event.cloudEventType(), body, 1, now, now, null);
            context.forward(new Record<>(state.jobId(), JobStateFold.JSON.writeValueAsBytes(delivery),
                    context.currentSystemTimeMs()), "webhooks-out");
        }

        private void write(JobState previous, JobState next) throws Exception {
            byte[] bytes = JobStateFold.JSON.writeValueAsBytes(next);
            store.put(next.jobId(), bytes);
            long ts = context.currentSystemTimeMs();
            context.forward(new Record<>(next.jobId(), bytes, ts), "state-out");
            if (previous != null && !indexKey(previous).equals(indexKey(next))) {
                context.forward(new Record<String, byte[]>(indexKey(previous), null, ts), "index-out");
            }
            Map<String, Object> summary = new java.util.LinkedHashMap<>();
            summary.put("jobId", next.jobId());
            summary.put("state", next.state());
            summary.put("labels", next.labels());
            summary.put("submittedAt", next.submittedAt());
            context.forward(new Record<>(indexKey(next), JobStateFold.JSON.writeValueAsBytes(summary), ts), "index-out");
        }

        private static String indexKey(JobState s) {
            return JobStateTopology.indexKey(s.tenant(), s.submittedAt(), s.jobId());
        }

        /** Jobs whose last change is older than the retention: tombstones everywhere. */
        private void expire(long now) {
            Instant oldest = Instant.ofEpochMilli(now).minus(settings.retention());
            List<KeyValue<String, byte[]>> expired = new ArrayList<>();
            try (KeyValueIterator<String, byte[]> all = store.all()) {
                all.forEachRemaining(kv -> {
                    JobState s = read(kv.value);
                    if (s != null && s.updatedAt().isBefore(oldest)) {
                        expired.add(kv);
                    }
                });
            }
            for (KeyValue<String, byte[]> kv : expired) {
                JobState s = read(kv.value);
                store.delete(kv.key);
                context.forward(new Record<String, byte[]>(kv.key, null, now), "state-out");
                context.forward(new Record<String, byte[]>(indexKey(s), null, now), "index-out");
            }
            if (!expired.isEmpty()) {
                LOG.infof("forgot %d job(s) past the retention of %s", expired.size(), settings.retention());
            }
        }

        private static String header(Record<String, byte[]> record, String name) {
            Header h = record.headers().lastHeader(name);
            return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
        }
    }

    static JobState read(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            return JobStateFold.JSON.readValue(bytes, JobState.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("unreadable job state: " + e.getMessage(), e);
        }
    }
}
