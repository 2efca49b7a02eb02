package io.fluxfleet.devstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The 3-node KRaft cluster: replication 3 with min ISR 2, a SIGKILLed partition leader does not stop acks=all
 * writes (another node leads), the killed node rejoins, and after the whole cluster is killed and started
 * again on the same ports every acknowledged record is still there.
 *
 * <p>Mutation checks: with {@code min.insync.replicas} written as 1 the min-ISR assertion fails; with
 * {@link KafkaCluster#kill} a no-op the "leader changed" assertion fails; with {@code startAll} formatting
 * a fresh log dir (new cluster id) the records-survive assertion fails.
 */
class KafkaClusterTest {

    private static final String TOPIC = "cluster.test";

    @TempDir
    Path workDir;

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void survivesALeaderKillAndAWholeClusterOutage() throws Exception {
        long t0 = System.nanoTime();
        try (KafkaCluster cluster = KafkaCluster.start(workDir, KafkaCluster.Settings.defaults())) {
            System.out.printf("KafkaCluster up in %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, cluster);
            assertEquals(3, cluster.bootstrapServers().split(",").length);
            List<Integer> ports = cluster.nodeIds().stream().map(cluster::brokerPort).toList();
            TopicDescription topic = createTopic(cluster);
            topic.partitions().forEach(p -> assertEquals(3, p.replicas().size(), "replicas of " + p));
            assertEquals("2", minIsr(cluster));

            List<String> acknowledged = new ArrayList<>();
            try (KafkaProducer<String, String> producer = producer(cluster)) {
                produce(producer, "before", acknowledged);
                TopicPartition p0 = new TopicPartition(TOPIC, 0);
                int killed = cluster.killLeaderOf(p0);
                assertFalse(cluster.isRunning(killed));
                // Two of three replicas remain: acks=all writes go on under min ISR 2.
                produce(producer, "one-down", acknowledged);
                int newLeader = cluster.leaderOf(p0);
                assertNotEquals(killed, newLeader, "the killed node still leads " + p0);
                assertTrue(newLeader > 0);
                cluster.restart(killed);
                cluster.awaitFullIsr(Set.of(TOPIC), Duration.ofSeconds(60));
            }

            cluster.killAll();
            cluster.nodeIds().forEach(id -> assertEquals(-1, cluster.pid(id)));
            cluster.startAll();
            assertEquals(ports, cluster.nodeIds().stream().map(cluster::brokerPort).toList());
            cluster.awaitFullIsr(Set.of(TOPIC), Duration.ofSeconds(60));
            assertEquals(acknowledged.stream().sorted().toList(), readAll(cluster, acknowledged.size()));
        }
        System.out.printf("KafkaClusterTest took %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    private static TopicDescription createTopic(KafkaCluster cluster) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()))) {
            // Broker defaults: replication factor 3.
            admin.createTopics(List.of(new NewTopic(TOPIC, java.util.Optional.of(3), java.util.Optional.empty())))
                    .all().get(30, TimeUnit.SECONDS);
        }
        // A CI run of 14:32Z asked a node that did not know the new topic yet.
        return cluster.describe(TOPIC, Duration.ofSeconds(30));
    }

    private static String minIsr(KafkaCluster cluster) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()))) {
            var resource = new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.TOPIC, TOPIC);
            return admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS)
                    .get(resource).get("min.insync.replicas").value();
        }
    }

    private static KafkaProducer<String, String> producer(KafkaCluster cluster) {
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
        return new KafkaProducer<>(config);
    }

    private static void produce(KafkaProducer<String, String> producer, String phase, List<String> acknowledged) throws Exception {
        for (int i = 0; i < 9; i++) {
            String value = phase + "-" + i;
            producer.send(new ProducerRecord<>(TOPIC, i % 3, value, value)).get(60, TimeUnit.SECONDS);
            acknowledged.add(value);
        }
    }

    private static List<String> readAll(KafkaCluster cluster, int expected) {
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config)) {
            List<TopicPartition> partitions = List.of(0, 1, 2).stream().map(p -> new TopicPartition(TOPIC, p)).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (values.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    values.add(record.value());
                }
            }
        }
        return values.stream().sorted().toList();
    }
}
