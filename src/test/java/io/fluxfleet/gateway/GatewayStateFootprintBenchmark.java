package io.fluxfleet.gateway;

import io.fluxfleet.devstack.LocalStack;
import io.fluxfleet.job.Acceleration;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobJson;
import io.fluxfleet.job.ModelKind;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * A benchmark, not a test: the gateway's job-state footprint per job, through the real topology on the
 * real local broker. N synthetic jobs (a request with a webhook, started, one progress, completed: the
 * shapes a worker writes) are folded by {@link JobStateTopology}; then the RocksDB directory (after a
 * clean close, which flushes the memtables), the bytes of the latest value per key of the compacted
 * state and index topics (what compaction keeps), and RocksDB's memory metrics are printed, with the
 * figures extrapolated to one million jobs.
 * <pre>
 * mvn -B -o test -Dtest=GatewayStateFootprintBenchmark -Dbench.state=true -Dsurefire.failIfNoSpecifiedTests=false \
 *     [-Dbench.jobs=50000]
 * </pre>
 */
@EnabledIfSystemProperty(named = "bench.state", matches = "true")
class GatewayStateFootprintBenchmark {

    private static final String JOBS = "bench.jobs";
    private static final String EVENTS = "bench.events";
    private static final String STATE = "bench.gateway.job-state";
    private static final String INDEX = "bench.gateway.job-index";
    private static final String WEBHOOKS = "bench.gateway.webhooks";
    private static final String DLQ = "bench.gateway.webhooks.dlq";

    @TempDir
    Path dir;

    @Test
    void stateBytesPerJob() throws Exception {
        int jobs = Integer.getInteger("bench.jobs", 50_000);
        try (LocalStack stack = LocalStack.start(dir.resolve("stack"), LocalStack.Settings.defaults().withDefaultPartitions(4))) {
            String bootstrap = stack.bootstrapServers();
            createTopics(bootstrap);
            long produced = produce(bootstrap, jobs);
            Path stateDir = dir.resolve("rocksdb");
            KafkaStreams streams = new KafkaStreams(JobStateTopology.build(new JobStateTopology.Settings(java.util.List.of(JOBS), EVENTS,
                    STATE, INDEX, WEBHOOKS, DLQ, Duration.ofDays(7), Duration.ofHours(1)), lag -> { }),
                    streamsConfig(bootstrap, stateDir));
            long start = System.nanoTime();
            streams.start();
            Map<String, Integer> stateSizes = awaitLatestValues(bootstrap, STATE, jobs, Duration.ofMinutes(20));
            Map<String, Integer> indexSizes = awaitLatestValues(bootstrap, INDEX, jobs, Duration.ofMinutes(5));
            double foldSeconds = (System.nanoTime() - start) / 1e9;
            Thread.sleep(5000); // the global tables follow the compacted topics
            Map<String, Double> memory = rocksDbMemory(streams);
            streams.close(Duration.ofMinutes(2)); // flushes the memtables: the directory then holds everything
            long rocksBytes = directoryBytes(stateDir);
            long stateTopic = stateSizes.values().stream().mapToLong(Integer::longValue).sum();
            long indexTopic = indexSizes.values().stream().mapToLong(Integer::longValue).sum();
            double perMillion = 1_000_000.0 / jobs;
            System.out.printf("BENCH state: %d jobs (%d input records, %.1f s to fold)%n", jobs, produced, foldSeconds);
            System.out.printf("BENCH state: RocksDB directory %.1f MiB = %.0f bytes/job -> %.2f GiB per million jobs%n",
                    rocksBytes / 1048576.0, (double) rocksBytes / jobs, rocksBytes * perMillion / (1L << 30));
            System.out.printf("BENCH state: compacted topics (latest key+value per key) job-state %.1f MiB (%.0f bytes/job),"
                    + " job-index %.1f MiB (%.0f bytes/job) -> %.2f GiB per million jobs per replica of the topics%n",
                    stateTopic / 1048576.0, (double) stateTopic / jobs, indexTopic / 1048576.0, (double) indexTopic / jobs,
                    (stateTopic + indexTopic) * perMillion / (1L << 30));
            System.out.printf("BENCH state: RocksDB memory (all stores, default Kafka Streams settings) %s%n", memory);
        }
    }

    private static long produce(String bootstrap, int jobs) throws Exception {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        long records = 0;
        Instant t0 = Instant.now();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < jobs; i++) {
                String jobId = "bench-" + i + "-" + Long.toHexString(i * 0x9E3779B97F4A7C15L);
                String tenant = "tenant-" + (i % 20);
                byte[] request = """
                        {"version":1,"jobId":"%s","tenant":"%s","prompt":"a lighthouse at dusk over a calm sea, golden hour, \
                        35mm photograph","model":"dev","width":1024,"height":1024,"steps":28,"guidance":3.5,"seed":%d,\
                        "acceleration":"jit-4x","output":{"keyPrefix":"renders/%s","format":"png"},\
                        "labels":{"app":"shop","user":"u-%d"}}""".formatted(jobId, tenant, i, tenant, i % 1000)
                        .getBytes(StandardCharsets.UTF_8);
                ProducerRecord<String, byte[]> job = new ProducerRecord<>(JOBS, jobId, request);
                new Submission(Submissions.sha256(request, null), new WebhookSpec("https://hooks.example.com/" + tenant,
                        List.of(JobEvent.COMPLETED, JobEvent.FAILED))).writeTo(job.headers());
                producer.send(job);
                Instant t = t0.plusMillis(i);
                send(producer, new JobEvent.Started(JobEvent.VERSION, jobId, "worker-7", 1, t.plusSeconds(1), "cuda:0", 900));
                send(producer, new JobEvent.Progress(JobEvent.VERSION, jobId, "worker-7", 1, t.plusSeconds(2), 14, 28, 0.5,
                        0.42, 60_000, 1500));
                send(producer, new JobEvent.Completed(JobEvent.VERSION, jobId, "worker-7", 1, t.plusSeconds(4), "cuda:0",
                        "fluxfleet-renders", "renders/" + tenant + "/" + jobId + ".png", "renders/" + tenant + "/" + jobId
                        + ".json", "image/png", 1_400_000, "ab".repeat(32), 1024, 1024, i, "dev", ModelKind.DEV, Acceleration.JIT_4X,
                        28, new JobEvent.Timings(900, 40, 2800, 150, 60, 120, 4100), 120_000, List.of(40_000L, 80_000L),
                        0.55, Map.of("app", "shop", "user", "u-" + (i % 1000)), null, null, List.of()));
                records += 4;
            }
            producer.flush();
        }
        return records;
    }

    private static void send(KafkaProducer<String, byte[]> producer, JobEvent event) {
        ProducerRecord<String, byte[]> r = new ProducerRecord<>(EVENTS, event.jobId(), JobJson.writeEvent(event));
        r.headers().add("ce_id", io.fluxfleet.worker.outcome.EventPublisher.cloudEventId(event, event.jobId())
                .getBytes(StandardCharsets.UTF_8));
        r.headers().add("ce_type", event.cloudEventType().getBytes(StandardCharsets.UTF_8));
        producer.send(r);
    }

    private static void createTopics(String bootstrap) throws Exception {
        try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(Stream.of(JOBS, EVENTS, WEBHOOKS, DLQ, STATE, INDEX)
                    .map(t -> new org.apache.kafka.clients.admin.NewTopic(t, 4, (short) 1).configs(
                            t.equals(STATE) || t.equals(INDEX) ? Map.of("cleanup.policy", "compact") : Map.of()))
                    .toList()).all().get();
        }
    }

    private static Properties streamsConfig(String bootstrap, Path stateDir) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "bench-gateway");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
        p.put(StreamsConfig.METRICS_RECORDING_LEVEL_CONFIG, "DEBUG");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        return p;
    }

    /** Reads the topic from the start until it holds {@code keys} live keys; the size of each key's latest record. */
    private static Map<String, Integer> awaitLatestValues(String bootstrap, String topic, int keys, Duration timeout) {
        Map<String, Integer> latest = new HashMap<>();
        Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (latest.size() < keys && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.value() == null) {
                        latest.remove(r.key());
                    } else {
                        latest.put(r.key(), r.key().getBytes(StandardCharsets.UTF_8).length + r.value().length);
                    }
                }
            }
        }
        if (latest.size() < keys) {
            throw new AssertionError(topic + " holds " + latest.size() + " of " + keys + " jobs after " + timeout);
        }
        return latest;
    }

    private static Map<String, Double> rocksDbMemory(KafkaStreams streams) {
        Map<String, Double> sums = new java.util.TreeMap<>();
        for (String name : List.of("size-all-mem-tables", "block-cache-usage", "estimate-table-readers-mem",
                "estimate-num-keys")) {
            double total = streams.metrics().values().stream().filter(m -> m.metricName().name().equals(name))
                    .filter(m -> m.metricValue() instanceof Number)
                    .mapToDouble(m -> ((Number) m.metricValue()).doubleValue()).sum();
            sums.put(name.equals("estimate-num-keys") ? name : name + " (MiB)",
                    name.equals("estimate-num-keys") ? total : Math.round(total / 1048576.0 * 10) / 10.0);
        }
        return sums;
    }

    private static long directoryBytes(Path root) throws Exception {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
