package io.fluxfleet.gateway;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fluxfleet.job.Acceleration;
import io.fluxfleet.job.JobJson;
import io.fluxfleet.job.JobRequest;
import io.fluxfleet.job.JobValidator;
import io.fluxfleet.job.ValidationResult;
import io.fluxfleet.tenant.Tenant;
import io.fluxfleet.tenant.TenantDirectory;
import io.fluxfleet.tenant.TenantIntake;
import io.fluxfleet.worker.TenantSetup;
import io.fluxfleet.worker.FleetConfig;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * POST /v1/jobs: a body becomes a job record on the jobs topic, or an error. The job request part is
 * checked by the worker's own {@link TenantIntake} (the contract's {@link JobValidator} with the
 * tenant's limits, then the tenant's model and preset allowlists), so the gateway accepts exactly
 * what a worker would, with the same error codes; the {@code webhook} object is the gateway's and
 * travels as a header.
 */
@ApplicationScoped
public class Submissions {

    /** What a submit came to. */
    public record Outcome(boolean created, JobState state) {
    }

    @Inject
    GatewayConfig config;

    @Inject
    FleetConfig fleet;

    @Inject
    io.fluxfleet.routing.JobTopics routing;

    @Inject
    JobStateStore states;

    @Inject
    GatewayProducer producer;

    @Inject
    RateLimits limits;

    @Inject
    WebhookTargets targets;

    @Inject
    TenantDirectory tenants;

    private ObjectMapper bodyReader;
    private TenantIntake intake;
    /** Submitted here but maybe not in the job-state tables yet: jobId to tenant + hash (a short window). */
    private final Map<String, JobState> recent = new java.util.concurrent.ConcurrentHashMap<>();

    @PostConstruct
    void init() {
        JsonFactory factory = JsonFactory.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(config.submit().maxJsonDepth())
                        .maxNumberLength(config.submit().maxNumberLength())
                        .build())
                .build();
        bodyReader = JsonMapper.builder(factory).build();
        Acceleration fleetDefault = Acceleration.parse(fleet.defaultAcceleration())
                .orElseThrow(() -> new IllegalStateException("fluxfleet.default-acceleration '"
                        + fleet.defaultAcceleration() + "' is not a preset"));
        intake = new TenantIntake(tenants, TenantSetup.fleetLimits(fleet), fleet.lora().toValidatorLimits(),
                fleetDefault).withModels(routing.catalog().models());
    }

    public Outcome submit(Tenant tenant, byte[] body) {
        ObjectNode object = parse(body);
        WebhookSpec webhook = webhookOf(tenant, object.remove("webhook"));
        JsonNode claimed = object.get("tenant");
        if (claimed != null && !(claimed.isTextual() && claimed.asText().equals(tenant.id()))) {
            throw new ApiException(400, "INVALID_FIELD", "tenant is decided by the API key; leave it out or send '"
                    + tenant.id() + "'");
        }
        object.put("tenant", tenant.id());
        JsonNode output = object.get("output");
        if (output == null || output.isNull()) {
            object.putObject("output").put("keyPrefix", tenant.defaultKeyPrefix());
        } else if (output instanceof ObjectNode o && !o.has("keyPrefix")) {
            o.put("keyPrefix", tenant.defaultKeyPrefix());
        }
        ValidationResult result = intake.validate(JobJson.toJson(object).getBytes(StandardCharsets.UTF_8));
        if (result instanceof ValidationResult.Invalid invalid) {
            throw new ApiException(400, new ApiError(invalid.primary().code().name(), invalid.summary(), invalid.errors()));
        }
        JobRequest request = ((ValidationResult.Valid) result).request();
        byte[] normalised = JobJson.writeRequest(request);
        String sha = sha256(normalised, webhook);

        Optional<JobState> existing = lookup(request.jobId());
        if (existing.isPresent()) {
            JobState s = existing.get();
            if (tenant.id().equals(s.tenant()) && sha.equals(s.requestSha256())) {
                return new Outcome(false, s);
            }
            throw new ApiException(409, "JOB_ID_CONFLICT", "jobId " + request.jobId()
                    + " was already submitted with a different body; choose another jobId");
        }
        int cap = limits.maxInFlight(tenant.id());
        if (states.inFlight(tenant.id()) >= cap) {
            throw ApiException.tooMany("TOO_MANY_IN_FLIGHT", "tenant " + tenant.id() + " has " + cap
                    + " jobs in flight, the most allowed; retry when some finish", java.time.Duration.ofSeconds(5));
        }
        String topic = routing.topicFor(request.model(), request.priority()).orElseThrow(() -> new ApiException(400,
                "UNKNOWN_MODEL", "no pool of this fleet serves model '" + request.model() + "'"));
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, request.jobId(), normalised);
        new Submission(sha, webhook).writeTo(record.headers());
        var ack = producer.sendAndAwait(record);
        JobState queued = JobStateFold.submitted(null, request.jobId(), JobStateFold.JSON.valueToTree(request),
                new Submission(sha, webhook), java.time.Instant.ofEpochMilli(ack.timestamp()));
        remember(queued);
        return new Outcome(true, queued);
    }

    /** The job from the job-state tables, or one submitted here moments ago that they do not show yet. */
    public Optional<JobState> lookup(String jobId) {
        Optional<JobState> state = states.get(jobId);
        if (state.isPresent()) {
            recent.remove(jobId);
            return state;
        }
        return Optional.ofNullable(recent.get(jobId));
    }

    private void remember(JobState queued) {
        if (recent.size() > 10_000) {
            recent.clear(); // only bridges the table's lag of a second or so
        }
        recent.put(queued.jobId(), queued);
    }

    private ObjectNode parse(byte[] body) {
        JsonNode node;
        try {
            node = bodyReader.readTree(body);
        } catch (IOException e) {
            throw new ApiException(400, "INVALID_JSON", "not acceptable JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (!(node instanceof ObjectNode object)) {
            throw new ApiException(400, "INVALID_JSON", "a job request is a JSON object");
        }
        return object;
    }

    private WebhookSpec webhookOf(Tenant tenant, JsonNode node) {
        if (node == null || node.isNull()) {
            String url = config.webhooks().tenantUrls().get(tenant.id());
            return url == null ? null : new WebhookSpec(url, config.webhooks().defaultEvents());
        }
        if (!(node instanceof ObjectNode o) || !o.path("url").isTextual()) {
            throw new ApiException(400, "INVALID_WEBHOOK", "webhook is {\"url\": \"https://...\", \"events\": [...]}");
        }
        List<String> events = config.webhooks().defaultEvents();
        var names = o.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!name.equals("url") && !name.equals("events")) {
                throw new ApiException(400, "INVALID_WEBHOOK", "webhook has no field '" + name + "' (url, events)");
            }
        }
        if (o.has("events")) {
            if (!o.get("events").isArray()) {
                throw new ApiException(400, "INVALID_WEBHOOK", "webhook.events is an array of event types");
            }
            events = new java.util.ArrayList<>();
            for (JsonNode e : o.get("events")) {
                String type = e.asText();
                if (!WebhookTargets.EVENT_NAMES.contains(type)) {
                    throw new ApiException(400, "INVALID_WEBHOOK", "unknown event type '" + type + "'; use "
                            + WebhookTargets.EVENT_NAMES);
                }
                events.add(type);
            }
        }
        String problem = targets.syntaxProblem(o.get("url").asText());
        if (problem != null) {
            throw new ApiException(400, "INVALID_WEBHOOK", problem);
        }
        return new WebhookSpec(o.get("url").asText(), events);
    }

    static String sha256(byte[] request, WebhookSpec webhook) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(request);
            if (webhook != null) {
                digest.update(JobStateFold.JSON.writeValueAsBytes(webhook));
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
