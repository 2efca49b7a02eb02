package io.fluxfleet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fluxfleet.job.JobEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
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
        try (KafkaSubmit kafka = new KafkaSubmit(servers, eventsTopic, Duration.ofSeconds(timeoutSeconds))) {
            kafka.followFromNow();
            String topic = lanes.topicOf(request, jobsTopic);
            if (repeat > 1) {
                return new SubmitBenchmark(kafka, repeat, warmup, quiet).run(topic, baseId, request);
            }
            request.put("jobId", baseId);
            KafkaSubmit.Outcome outcome = kafka.submitAndWait(topic, baseId, request, !quiet);
            if (outcome.terminal() instanceof JobEvent.Completed completed) {
                System.out.println("s3://" + completed.bucket() + "/" + completed.key());
            }
            return outcome.exitCode();
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
}
