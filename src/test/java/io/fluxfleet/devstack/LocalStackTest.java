package io.fluxfleet.devstack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.StatObjectArgs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts the real local stack (Kafka broker + S3Proxy in child JVMs), uses both with the plain clients the
 * fleet uses, and checks that each server can be stopped and restarted on the same port without losing data.
 */
class LocalStackTest {

    private static final String TOPIC = "localstack.test";
    private static final String BUCKET = "localstack-test";
    private static final String OBJECT_KEY = "jobs/job-1/image.png";

    @TempDir
    Path workDir;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void kafkaAndS3AreRealAndSurviveRestartsOnTheSamePorts() throws Exception {
        long startedAt = System.nanoTime();
        LocalStack stack = LocalStack.start(workDir);
        System.out.printf("LocalStack started in %.1f s: %s%n", (System.nanoTime() - startedAt) / 1e9, stack);
        int kafkaPort = stack.kafkaPort();
        int controllerPort = stack.kafkaControllerPort();
        int s3Port = stack.s3Port();
        try {
            assertTrue(stack.bootstrapServers().startsWith("127.0.0.1:"), stack.bootstrapServers());
            assertTrue(stack.s3Endpoint().startsWith("http://127.0.0.1:"), stack.s3Endpoint());
            // A second stack on the same work dir would share the broker's log dir and corrupt it.
            assertThrows(IllegalStateException.class, () -> LocalStack.start(workDir));

            createTopicWithThreePartitions(stack);
            RecordMetadata written = produce(stack, "job-1", "{\"prompt\":\"a red fox\"}");
            assertEquals("{\"prompt\":\"a red fox\"}", consumeWithGroup(stack, "job-1"));

            byte[] image = "not really a PNG, but bytes all the same".getBytes(StandardCharsets.UTF_8);
            MinioClient s3 = minio(stack);
            s3.makeBucket(MakeBucketArgs.builder().bucket(BUCKET).build());
            s3.putObject(PutObjectArgs.builder().bucket(BUCKET).object(OBJECT_KEY)
                    .stream(new ByteArrayInputStream(image), image.length, -1)
                    .contentType("image/png").build());
            assertArrayEquals(image, get(s3, OBJECT_KEY));

            // Kafka down: a producer gives up quickly instead of hanging.
            stack.stopKafka();
            assertEquals(-1, stack.kafkaPid());
            assertProduceFailsFast(stack);

            // Kafka back on the same port: topic and record survived in the data dir.
            stack.startKafka();
            assertEquals(kafkaPort, stack.kafkaPort());
            assertEquals(3, partitionCount(stack));
            assertEquals("{\"prompt\":\"a red fox\"}",
                    readAt(stack, new TopicPartition(TOPIC, written.partition()), written.offset(), "job-1"));

            // S3 down and back: the object survived.
            stack.stopS3();
            assertFalse(Loopback.isListening(s3Port), "S3 port still open after stopS3");
            stack.startS3();
            assertTrue(s3.bucketExists(BucketExistsArgs.builder().bucket(BUCKET).build()));
            assertEquals(image.length, s3.statObject(StatObjectArgs.builder().bucket(BUCKET).object(OBJECT_KEY).build()).size());
            assertArrayEquals(image, get(s3, OBJECT_KEY));
        } finally {
            stack.close();
        }

        assertEquals(-1, stack.kafkaPid());
        assertEquals(-1, stack.s3Pid());
        for (int port : new int[] {kafkaPort, controllerPort, s3Port}) {
            assertPortFree(port);
        }
        System.out.printf("LocalStackTest took %.1f s%n", (System.nanoTime() - startedAt) / 1e9);
    }

    private static void createTopicWithThreePartitions(LocalStack stack) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        assertEquals(3, partitionCount(stack));
    }

    private static int partitionCount(LocalStack stack) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()))) {
            return admin.describeTopics(Set.of(TOPIC)).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get(TOPIC).partitions().size();
        }
    }

    private static RecordMetadata produce(LocalStack stack, String key, String value) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig(stack))) {
            return producer.send(new ProducerRecord<>(TOPIC, key, value)).get(30, TimeUnit.SECONDS);
        }
    }

    private static void assertProduceFailsFast(LocalStack stack) {
        Properties config = producerConfig(stack);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 2000);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 1000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 2000);
        long before = System.nanoTime();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
            ExecutionException failure = assertThrows(ExecutionException.class,
                    () -> producer.send(new ProducerRecord<>(TOPIC, "job-2", "{}")).get(15, TimeUnit.SECONDS));
            assertTrue(failure.getCause() instanceof org.apache.kafka.common.errors.TimeoutException, failure.toString());
        }
        Duration took = Duration.ofNanos(System.nanoTime() - before);
        assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0, "producer took " + took + " to give up");
    }

    private static Properties producerConfig(LocalStack stack) {
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        return config;
    }

    /** Subscribes with a fresh consumer group (exercises the group coordinator) and returns the value for {@code key}. */
    private static String consumeWithGroup(LocalStack stack, String key) {
        Properties config = consumerConfig(stack);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "localstack-test-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config)) {
            consumer.subscribe(List.of(TOPIC));
            return pollFor(consumer, key).orElseThrow(() -> new AssertionError("no record with key " + key));
        }
    }

    /** Reads the record at one offset without a group: the data dir, not a committed offset, must hold it. */
    private static String readAt(LocalStack stack, TopicPartition partition, long offset, String key) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerConfig(stack))) {
            consumer.assign(List.of(partition));
            consumer.seek(partition, offset);
            return pollFor(consumer, key).orElseThrow(() -> new AssertionError("no record with key " + key + " at " + partition + "@" + offset));
        }
    }

    private static Optional<String> pollFor(KafkaConsumer<String, String> consumer, String key) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                if (key.equals(record.key())) {
                    return Optional.of(record.value());
                }
            }
        }
        return Optional.empty();
    }

    private static Properties consumerConfig(LocalStack stack) {
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return config;
    }

    private static MinioClient minio(LocalStack stack) {
        return MinioClient.builder()
                .endpoint(stack.s3Endpoint())
                .credentials(stack.accessKey(), stack.secretKey())
                .region(LocalStack.S3_REGION)
                .build();
    }

    private static byte[] get(MinioClient s3, String key) throws Exception {
        try (InputStream in = s3.getObject(GetObjectArgs.builder().bucket(BUCKET).object(key).build())) {
            return in.readAllBytes();
        }
    }

    private static void assertPortFree(int port) throws Exception {
        assertFalse(Loopback.isListening(port), "something still listens on 127.0.0.1:" + port);
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
        }
    }
}
