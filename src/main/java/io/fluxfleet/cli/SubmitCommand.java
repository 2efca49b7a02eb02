package io.fluxfleet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobJson;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Sends a job to the fleet with a plain Kafka producer and follows its events until the terminal one:
 * what a backend does, from the command line. Progress goes to stderr; on success stdout gets one line,
 * {@code s3://<bucket>/<key>} of the image. Exit code 0 completed, 1 failed, 3 no terminal event in time.
 */
@Command(name = "submit", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Send a render job to the fleet (Kafka) and wait for its completed or failed event.",
                "Prints progress on stderr and s3://<bucket>/<key> of the image on stdout."})
final class SubmitCommand implements Callable<Integer> {

    static final int EXIT_FAILED = 1;
    static final int EXIT_TIMEOUT = 3;

    @Option(names = "--bootstrap", description = "Kafka bootstrap servers (default: $FLUXFLEET_KAFKA_BOOTSTRAP or 127.0.0.1:9092)")
    String bootstrap;

    @Option(names = "--gateway", description = "Submit over HTTP to this gateway (http://host:port) instead of Kafka")
    java.net.URI gateway;

    @Option(names = "--api-key", description = "The gateway API key (default: $FLUXFLEET_API_KEY)")
    String apiKey;

    @Option(names = "--jobs-topic", defaultValue = "fluxfleet.jobs", description = {"The common jobs topic; the job goes to the lane of its priority", "(<topic>.high, <topic>, <topic>.low) (default: ${DEFAULT-VALUE})"})
    String jobsTopic;

    @picocli.CommandLine.Mixin
    LaneOptions lanes = new LaneOptions();

    @Option(names = "--events-topic", defaultValue = "fluxfleet.events", description = "default: ${DEFAULT-VALUE}")
    String eventsTopic;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--file", description = "A job request JSON file (docs/job-contract.md); a missing jobId is generated")
        Path file;

        @ArgGroup(exclusive = false)
        Fields fields;
    }

    /** A request built from flags; absent flags are left out (the fleet applies its defaults). */
    static final class Fields {
        @Option(names = {"-p", "--prompt"}, required = true)
        String prompt;

        @Option(names = "--width")
        Integer width;

        @Option(names = "--height")
        Integer height;

        @Option(names = "--steps")
        Integer steps;

        @Option(names = "--seed")
        Long seed;

        @Option(names = "--guidance")
        Double guidance;

        @Option(names = "--model", description = "the model's name: dev, schnell or a name in the fleet's catalog")
        String model;

        @Option(names = "--priority", description = "0-9 (default 5): 7-9 go to the high lane, 0-2 to the low lane")
        Integer priority;

        @Option(names = "--acceleration", description = "none, jit-4x, jit-7x, ... (default: the fleet's)")
        String acceleration;

        @Option(names = "--bucket")
        String bucket;

        @Option(names = "--key-prefix")
        String keyPrefix;

        @Option(names = "--format", description = "png or jpeg")
        String format;

        @Option(names = "--label", description = "name=value, repeatable")
        Map<String, String> labels;
    }

    @Option(names = "--job-id", description = "default: cli-<random>")
    String jobId;

    @Option(names = "--timeout", defaultValue = "600", description = "Seconds to wait for the terminal event (default: ${DEFAULT-VALUE})")
    long timeoutSeconds;

    @Option(names = "--quiet", description = "No progress lines")
    boolean quiet;

    @Option(names = "--repeat", defaultValue = "1", description = {"Send N jobs one after another (jobIds <job-id>-1..N),",
            "each after the previous one ended, and print fleet-overhead percentiles (benchmark)"})
    int repeat;

    @Option(names = "--warmup", defaultValue = "0", description = "With --repeat: first K jobs left out of the statistics")
    int warmup;

    private final ObjectMapper json = new ObjectMapper();
    private final PrintStream err = System.err;

    @Override
    public Integer call() throws Exception {
        String servers = bootstrap != null ? bootstrap
                : System.getenv().getOrDefault("FLUXFLEET_KAFKA_BOOTSTRAP", "127.0.0.1:9092");
        ObjectNode request = buildRequest();
        String baseId = request.hasNonNull("jobId") ? request.get("jobId").asText()
                : jobId != null ? jobId : "cli-" + UUID.randomUUID().toString().substring(0, 13);
        if (gateway != null) {
            request.put("jobId", baseId);
            String key = apiKey != null ? apiKey : System.getenv("FLUXFLEET_API_KEY");
            return new GatewaySubmit(gateway, key, quiet).run(request, Duration.ofSeconds(timeoutSeconds));
        }
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig(servers));
             KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerConfig(servers))) {
            followFromNow(consumer);
            if (repeat <= 1) {
                request.put("jobId", baseId);
                Outcome outcome = submitAndWait(producer, consumer, baseId, request, !quiet);
                return outcome.exitCode();
            }
            return benchmark(producer, consumer, baseId, request);
        }
    }

    private ObjectNode buildRequest() throws Exception {
        if (source.file != null) {
            JsonNode node = json.readTree(Files.readAllBytes(source.file));
            if (!(node instanceof ObjectNode object)) {
                throw new IllegalArgumentException(source.file + " does not hold a JSON object");
            }
            if (jobId != null) {
                object.put("jobId", jobId);
            }
            return object;
        }
        Fields f = source.fields;
        ObjectNode request = json.createObjectNode();
        request.put("prompt", f.prompt);
        putIfSet(request, "width", f.width);
        putIfSet(request, "height", f.height);
        putIfSet(request, "steps", f.steps);
        putIfSet(request, "seed", f.seed);
        putIfSet(request, "guidance", f.guidance);
        putIfSet(request, "model", f.model);
        putIfSet(request, "acceleration", f.acceleration);
        putIfSet(request, "priority", f.priority);
        if (f.bucket != null || f.keyPrefix != null || f.format != null) {
            ObjectNode output = request.putObject("output");
            putIfSet(output, "bucket", f.bucket);
            putIfSet(output, "keyPrefix", f.keyPrefix);
            putIfSet(output, "format", f.format);
        }
        if (f.labels != null && !f.labels.isEmpty()) {
            ObjectNode labels = request.putObject("labels");
            f.labels.forEach(labels::put);
        }
        return request;
    }

    private static void putIfSet(ObjectNode node, String name, Object value) {
        if (value != null) {
            node.putPOJO(name, value);
        }
    }

    /** Assigns every partition of the events topic at its end, so that only events after now are read. */
    private void followFromNow(KafkaConsumer<String, byte[]> consumer) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        List<PartitionInfo> partitions = List.of();
        while (partitions.isEmpty()) {
            try {
                partitions = consumer.partitionsFor(eventsTopic, Duration.ofSeconds(10));
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                partitions = List.of();
            }
            if (partitions == null) {
                partitions = List.of();
            }
            if (partitions.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no topic " + eventsTopic + " on the broker (is it up? is a worker running?)");
                }
                Thread.sleep(500);
            }
        }
        List<TopicPartition> assigned = partitions.stream().map(p -> new TopicPartition(eventsTopic, p.partition())).toList();
        consumer.assign(assigned);
        consumer.seekToEnd(assigned);
        assigned.forEach(consumer::position); // resolve the end offsets now, before the job is sent
    }

    /** What became of one job. */
    record Outcome(JobEvent terminal, long sentNanos, long endedNanos) {
        int exitCode() {
            if (terminal == null) {
                return EXIT_TIMEOUT;
            }
            return terminal instanceof JobEvent.Completed ? 0 : EXIT_FAILED;
        }

        double endToEndMs() {
            return (endedNanos - sentNanos) / 1e6;
        }
    }

    private Outcome submitAndWait(KafkaProducer<String, byte[]> producer, KafkaConsumer<String, byte[]> consumer,
            String id, ObjectNode request, boolean verbose) throws Exception {
        byte[] value = json.writeValueAsBytes(request);
        long sent = System.nanoTime();
        String topic = lanes.topicOf(request, jobsTopic);
        producer.send(new ProducerRecord<>(topic, id, value)).get(30, TimeUnit.SECONDS);
        if (verbose) {
            err.println("submitted " + id + " to " + topic + ": " + new String(value, StandardCharsets.UTF_8));
        }
        long deadline = sent + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                if (!id.equals(record.key())) {
                    continue;
                }
                JobEvent event;
                try {
                    event = JobJson.readEvent(record.value());
                } catch (RuntimeException e) {
                    err.println("unreadable event for " + id + ": " + e.getMessage());
                    continue;
                }
                if (verbose) {
                    describe(event);
                }
                if (event instanceof JobEvent.Completed completed) {
                    long ended = System.nanoTime();
                    if (repeat <= 1) {
                        System.out.println("s3://" + completed.bucket() + "/" + completed.key());
                    }
                    return new Outcome(event, sent, ended);
                }
                if (event instanceof JobEvent.Failed failed && !failed.retryable()) {
                    return new Outcome(event, sent, System.nanoTime());
                }
            }
        }
        err.println("no terminal event for " + id + " within " + timeoutSeconds + " s");
        return new Outcome(null, sent, System.nanoTime());
    }

    private void describe(JobEvent event) {
        if (event instanceof JobEvent.Started s) {
            err.printf("started on %s (%s), queue wait %d ms%n", s.workerId(), s.device(), s.queueWaitMs());
        } else if (event instanceof JobEvent.Progress p) {
            err.printf(Locale.ROOT, "progress %d/%d  %3.0f%%  sigma %.3f  %d ms%n", p.step(), p.totalSteps(),
                    p.fraction() * 100, p.sigma(), p.elapsedMs());
        } else if (event instanceof JobEvent.Completed c) {
            JobEvent.Timings t = c.timings();
            err.printf(Locale.ROOT, "completed by %s on %s: %dx%d, %s, seed %d, %d steps, %.0f%% FLOPs saved%n",
                    c.workerId(), c.device(), c.width(), c.height(), c.acceleration().wireName(), c.seed(), c.steps(),
                    c.flopsSavedFraction() * 100);
            err.printf("  timings: queue %d ms, text %d ms, denoise %d ms, decode %d ms, encode %d ms, upload %d ms, total %d ms%n",
                    t.queueWaitMs(), t.textEncodeMs(), t.denoiseMs(), t.decodeMs(), t.encodeMs(), t.uploadMs(), t.totalMs());
            err.printf("  image:   s3://%s/%s (%d bytes, %s, sha256 %s)%n", c.bucket(), c.key(), c.bytes(),
                    c.contentType(), c.sha256());
            err.printf("  sidecar: s3://%s/%s%n", c.bucket(), c.sidecarKey());
            if (c.presignedUrl() != null) {
                err.printf("  url:     %s (until %s)%n", c.presignedUrl(), c.presignedUrlExpiresAt());
            }
        } else if (event instanceof JobEvent.Failed f) {
            err.printf("failed%s: %s %s%n", f.retryable() ? " (will be retried)" : "", f.code(), f.message());
            f.validationErrors().forEach(v -> err.printf("  %s %s: %s%n", v.code(),
                    v.field() == null ? "(request)" : v.field(), v.message()));
        }
    }

    /**
     * N jobs, one at a time. Per job: end-to-end = from send to the completed event received; render =
     * the worker's text encoding + denoising + decoding; client overhead = end-to-end - render (produce,
     * consume, validate, events, encode, upload, and the consumers' poll latencies); worker overhead =
     * the worker's total - queue wait - render (pickup to the completed event built, from its timings).
     */
    private int benchmark(KafkaProducer<String, byte[]> producer, KafkaConsumer<String, byte[]> consumer,
            String baseId, ObjectNode template) throws Exception {
        List<double[]> rows = new ArrayList<>(); // endToEnd, render, clientOverhead, workerOverhead, encode, upload
        int failures = 0;
        for (int i = 1; i <= repeat; i++) {
            String id = baseId + "-" + i;
            ObjectNode request = template.deepCopy();
            request.put("jobId", id);
            Outcome outcome = submitAndWait(producer, consumer, id, request, false);
            if (!(outcome.terminal() instanceof JobEvent.Completed c)) {
                failures++;
                err.println(id + ": " + (outcome.terminal() == null ? "timeout" : outcome.terminal()));
                continue;
            }
            JobEvent.Timings t = c.timings();
            double render = t.textEncodeMs() + t.denoiseMs() + t.decodeMs();
            double e2e = outcome.endToEndMs();
            if (i > warmup) {
                rows.add(new double[] {e2e, render, e2e - render, t.totalMs() - t.queueWaitMs() - render,
                        t.encodeMs(), t.uploadMs()});
            }
            if (!quiet && (i % 20 == 0 || i == repeat)) {
                err.printf(Locale.ROOT, "%d/%d jobs: last end-to-end %.1f ms, render %.0f ms%n", i, repeat, e2e, render);
            }
        }
        String[] names = {"end-to-end", "render (text+denoise+decode)", "fleet overhead, client-observed",
                "fleet overhead, worker-reported", "  of which encode", "  of which upload (image+sidecar+presign)"};
        System.out.printf("%d jobs measured (%d warm-up left out, %d failed)%n", rows.size(), Math.min(warmup, repeat), failures);
        System.out.println("| ms | p50 | p90 | p99 | max | mean |");
        System.out.println("|---|---|---|---|---|---|");
        for (int column = 0; column < names.length; column++) {
            final int c = column;
            double[] values = rows.stream().mapToDouble(r -> r[c]).sorted().toArray();
            if (values.length == 0) {
                continue;
            }
            System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f | %.1f | %.1f | %.1f |%n", names[column],
                    percentile(values, 0.50), percentile(values, 0.90), percentile(values, 0.99),
                    values[values.length - 1], Arrays.stream(values).average().orElse(0));
        }
        return failures == 0 ? 0 : EXIT_FAILED;
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double p) {
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static Properties producerConfig(String servers) {
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        return config;
    }

    private static Properties consumerConfig(String servers) {
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
        return config;
    }
}
