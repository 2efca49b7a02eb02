package io.fluxfleet.gateway;

import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.TopicConfig;
import org.jboss.logging.Logger;

/**
 * Configuration of the gateway's own Kafka clients (producer, consumers, Kafka Streams, admin): the
 * application's {@code kafka.*} properties, so a secured cluster's settings (SASL_SSL, truststore)
 * reach every client, as the channels get them.
 */
@ApplicationScoped
public class KafkaClients {

    private static final Logger LOG = Logger.getLogger(KafkaClients.class);
    /** Channel-only settings of the kafka.* namespace that plain clients reject or warn about. */
    private static final Set<String> NOT_FOR_CLIENTS = Set.of("devservices", "snappy", "health");

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> defaults;

    /** The kafka.* settings plus {@code extra}. */
    public Map<String, Object> config(Map<String, Object> extra) {
        Map<String, Object> config = new HashMap<>();
        defaults.forEach((k, v) -> {
            if (NOT_FOR_CLIENTS.stream().noneMatch(k::startsWith)) {
                config.put(k, v);
            }
        });
        config.putAll(extra);
        return config;
    }

    /** Describes the topics, waiting while freshly created ones are not known to every broker yet. */
    private static Map<String, TopicDescription> describe(Admin admin, List<String> topics) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                return admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)
                        || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }

    /**
     * Creates the topics that do not exist yet; {@code compacted} ones with cleanup.policy=compact.
     * Returns the partition counts of all of them.
     */
    public Map<String, Integer> ensureTopics(List<String> plain, List<String> compacted, int partitions, short replication) {
        try (Admin admin = Admin.create(config(Map.of()))) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> wanted = new java.util.ArrayList<>();
            for (String t : plain) {
                if (!existing.contains(t)) {
                    wanted.add(new NewTopic(t, partitions, replication));
                }
            }
            for (String t : compacted) {
                if (!existing.contains(t)) {
                    wanted.add(new NewTopic(t, partitions, replication)
                            .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
                }
            }
            if (!wanted.isEmpty()) {
                try {
                    admin.createTopics(wanted).all().get(30, TimeUnit.SECONDS);
                    LOG.infof("created topics %s", wanted.stream().map(NewTopic::name).toList());
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
                        throw e;
                    }
                }
            }
            List<String> all = new java.util.ArrayList<>(plain);
            all.addAll(compacted);
            Map<String, TopicDescription> described = describe(admin, all);
            Map<String, Integer> counts = new HashMap<>();
            described.forEach((name, d) -> counts.put(name, d.partitions().size()));
            return counts;
        } catch (Exception e) {
            throw new IllegalStateException("cannot create or describe the gateway's topics: " + e, e);
        }
    }
}
