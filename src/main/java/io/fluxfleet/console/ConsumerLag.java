package io.fluxfleet.console;

import io.fluxfleet.gateway.KafkaClients;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Consumer lag of every consumer group per topic (the workers' jobs and retry groups, each priority
 * lane's group, the gateway's own): the end offsets minus the group's committed offsets, summed over
 * partitions. Read through the admin client, at most every few seconds.
 */
@ApplicationScoped
public class ConsumerLag {

    static final long FRESH_MS = 3_000;

    /** One group on one topic. */
    public record Lag(String group, String topic, long lag, int partitions) {
    }

    /** The lags, or why they could not be read. */
    public record Reading(List<Lag> lags, String error) {
    }

    @Inject
    KafkaClients kafka;

    private volatile Reading last;
    private volatile long readAt;

    public synchronized Reading read() {
        if (last != null && System.currentTimeMillis() - readAt < FRESH_MS) {
            return last;
        }
        try (Admin admin = Admin.create(kafka.config(Map.of()))) {
            List<Lag> lags = new ArrayList<>();
            for (ConsumerGroupListing g : admin.listConsumerGroups().all().get(10, TimeUnit.SECONDS)) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(g.groupId())
                        .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
                committed.values().removeIf(o -> o == null);
                if (committed.isEmpty()) {
                    continue;
                }
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                committed.keySet().forEach(p -> latest.put(p, OffsetSpec.latest()));
                Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all()
                        .get(10, TimeUnit.SECONDS);
                Map<String, long[]> perTopic = new HashMap<>();
                committed.forEach((p, o) -> {
                    long[] sum = perTopic.computeIfAbsent(p.topic(), t -> new long[2]);
                    sum[0] += Math.max(0, ends.get(p).offset() - o.offset());
                    sum[1]++;
                });
                perTopic.forEach((topic, sum) -> lags.add(new Lag(g.groupId(), topic, sum[0], (int) sum[1])));
            }
            lags.sort(Comparator.comparing(Lag::topic).thenComparing(Lag::group));
            last = new Reading(lags, null);
        } catch (Exception e) {
            last = new Reading(List.of(), "cannot read consumer lag: " + e.getMessage());
        }
        readAt = System.currentTimeMillis();
        return last;
    }
}
