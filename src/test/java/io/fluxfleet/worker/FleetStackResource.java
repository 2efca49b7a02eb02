package io.fluxfleet.worker;

import io.fluxfleet.devstack.LocalStack;
import io.fluxfleet.flux.TinyCheckpoint;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The real local stack for @QuarkusTest workers: a Kafka broker and S3Proxy in child JVMs
 * ({@link LocalStack}), the jobs and events topics with {@value #PARTITIONS} partitions, and the
 * tiny checkpoint; hands their addresses to the worker's config. Stopped when the tests are done.
 */
public class FleetStackResource implements QuarkusTestResourceLifecycleManager {

    public static final int PARTITIONS = 4;
    public static final String JOBS_TOPIC = "test.fluxfleet.jobs";
    public static final String EVENTS_TOPIC = "test.fluxfleet.events";
    public static final String BUCKET = "test-renders";
    public static final String WORKER_ID = "test-worker";
    public static final String LORA_BUCKET = "test-loras";

    private Path workDir;
    private LocalStack stack;
    private static volatile LocalStack current;

    /** The running stack (to stop and start the broker or the S3 server in a test). */
    public static LocalStack stack() {
        return current;
    }

    @Override
    public Map<String, String> start() {
        try {
            workDir = Files.createTempDirectory("fluxfleet-worker-test");
            stack = startStack(workDir, LocalStack.Settings.defaults().withDefaultPartitions(PARTITIONS));
            current = stack;
            createTopics(connection(stack), List.of(JOBS_TOPIC, EVENTS_TOPIC), PARTITIONS);
            Path model = workDir.resolve("tiny-model");
            TinyCheckpoint.write(model, TinyCheckpoint.Format.DIFFUSERS);
            Map<String, String> config = new LinkedHashMap<>();
            connection(stack).forEach((key, value) -> config.put("kafka." + key, String.valueOf(value)));
            config.put("quarkus.minio.host", stack.s3Endpoint());
            config.put("quarkus.minio.access-key", stack.accessKey());
            config.put("quarkus.minio.secret-key", stack.secretKey());
            config.put("quarkus.minio.region", LocalStack.S3_REGION);
            config.put("fluxfleet.model-dir", model.toString());
            config.put("fluxfleet.worker-id", WORKER_ID);
            config.put("fluxfleet.topics.jobs", JOBS_TOPIC);
            config.put("fluxfleet.topics.events", EVENTS_TOPIC);
            config.put("fluxfleet.storage.bucket", BUCKET);
            config.put("fluxfleet.limits.allowed-buckets", BUCKET + ",other-renders");
            config.put("fluxfleet.lora.library-bucket", LORA_BUCKET);
            config.put("fluxfleet.lora.cache-dir", workDir.resolve("lora-cache").toString());
            // Reliability tests: short backoff (the engine fault triggers come with FaultTriggeringEngine).
            config.put("fluxfleet.reliability.backoff", "PT0.3S");
            return config;
        } catch (IOException e) {
            stop();
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (stack != null) {
            current = null;
            stack.close();
            stack = null;
        }
        if (workDir != null) {
            try (Stream<Path> files = Files.walk(workDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a temp dir; best effort
            }
            workDir = null;
        }
    }

    /** Creates the topics that do not exist yet (a test profile restarts the app, not the broker). */
    static void createTopicsIfMissing(String bootstrap, List<String> topics, int partitions) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            var existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
            List<String> missing = topics.stream().filter(t -> !existing.contains(t)).toList();
            if (!missing.isEmpty()) {
                admin.createTopics(missing.stream().map(t -> new NewTopic(t, partitions, (short) 1)).toList())
                        .all().get(60, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topics " + topics + ": " + e, e);
        }
    }

    /** The broker and S3 server; a subclass may secure them. */
    protected LocalStack startStack(Path workDir, LocalStack.Settings settings) throws IOException {
        return LocalStack.start(workDir.resolve("stack"), settings);
    }

    /** What a Kafka client needs to connect to the stack's broker (plain client property names). */
    protected Map<String, Object> connection(LocalStack stack) {
        return Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
    }

    static void createTopics(String bootstrap, List<String> topics, int partitions) {
        createTopics(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), topics, partitions);
    }

    static void createTopics(Map<String, Object> connection, List<String> topics, int partitions) {
        try (Admin admin = Admin.create(connection)) {
            admin.createTopics(topics.stream().map(t -> new NewTopic(t, partitions, (short) 1)).toList())
                    .all().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topics " + topics + ": " + e, e);
        }
    }
}
