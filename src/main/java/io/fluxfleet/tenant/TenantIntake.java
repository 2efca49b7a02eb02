package io.fluxfleet.tenant;

import io.fluxfleet.job.Acceleration;
import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.job.JobRequest;
import io.fluxfleet.job.JobValidator;
import io.fluxfleet.job.KnownModels;
import io.fluxfleet.job.LoraSources;
import io.fluxfleet.job.ValidationError;
import io.fluxfleet.job.ValidationResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Validates a raw job request for the tenant it names: the tenant must be known (UNKNOWN_TENANT),
 * the request must fit the tenant's limits, buckets and key prefixes (the tenant's default prefix
 * when it names none), and the tenant must be allowed the model and preset (NOT_ALLOWED_FOR_TENANT).
 * An s3:// LoRA source must name a bucket both the fleet allows for adapters and the tenant may use.
 * A valid request always carries its tenant's id, so keys, sidecars and events can rely on it.
 */
public final class TenantIntake {

    private final TenantDirectory directory;
    private final JobValidator.Limits fleet;
    private final JobValidator.LoraLimits loraLimits;
    private final Acceleration fleetDefault;
    private final KnownModels models;
    private final Map<String, JobValidator> validators = new ConcurrentHashMap<>();

    public TenantIntake(TenantDirectory directory, JobValidator.Limits fleet, Acceleration fleetDefault) {
        this(directory, fleet, JobValidator.LoraLimits.DEFAULTS, fleetDefault);
    }

    public TenantIntake(TenantDirectory directory, JobValidator.Limits fleet, JobValidator.LoraLimits loraLimits,
                        Acceleration fleetDefault) {
        this(directory, fleet, loraLimits, fleetDefault, KnownModels.BUILT_IN);
    }

    private TenantIntake(TenantDirectory directory, JobValidator.Limits fleet, JobValidator.LoraLimits loraLimits,
                         Acceleration fleetDefault, KnownModels models) {
        this.directory = Objects.requireNonNull(directory, "directory");
        this.fleet = Objects.requireNonNull(fleet, "fleet");
        this.loraLimits = Objects.requireNonNull(loraLimits, "loraLimits");
        this.fleetDefault = Objects.requireNonNull(fleetDefault, "fleetDefault");
        this.models = Objects.requireNonNull(models, "models");
    }

    /** This intake for a fleet whose models are {@code models} (its catalog's), see {@link JobValidator#withModels}. */
    public TenantIntake withModels(KnownModels models) {
        return new TenantIntake(directory, fleet, loraLimits, fleetDefault, models);
    }

    public KnownModels models() {
        return models;
    }

    public TenantDirectory directory() {
        return directory;
    }

    /** Never throws, like {@link JobValidator#validate}. */
    public ValidationResult validate(byte[] rawValue) {
        String named = JobValidator.extractTenant(rawValue);
        Optional<Tenant> resolved = directory.resolve(named);
        if (resolved.isEmpty()) {
            String message = named == null
                    ? "the job names no tenant (a \"tenant\" field) and this fleet has no default tenant"
                    : "tenant '" + named + "' is not known to this fleet";
            return new ValidationResult.Invalid(JobValidator.extractJobId(rawValue), Map.of(),
                    List.of(new ValidationError(ErrorCode.UNKNOWN_TENANT, "tenant", message)));
        }
        Tenant tenant = resolved.get();
        ValidationResult result = validators.computeIfAbsent(tenant.id(), id -> new JobValidator(
                tenant.validatorLimits(fleet), new JobValidator.Scope(id, tenant.defaultKeyPrefix()), loraLimits)
                .withModels(models)).validate(rawValue);
        if (!(result instanceof ValidationResult.Valid valid)) {
            return result;
        }
        JobRequest request = valid.request();
        if (!tenant.allowsModel(request.model())) {
            return notAllowed(request, "model", "tenant " + tenant.id() + " may not use model " + request.model()
                    + "; allowed: " + tenant.models().stream().sorted().toList());
        }
        Acceleration preset = request.effectiveAcceleration(fleetDefault);
        if (!tenant.allowsPreset(preset)) {
            return notAllowed(request, "acceleration", "tenant " + tenant.id() + " may not use acceleration "
                    + preset.wireName() + "; allowed: " + tenant.presets().stream().map(Acceleration::wireName).sorted().toList());
        }
        return loraBucketProblem(tenant, request).orElse(valid);
    }

    /** INVALID_FIELD, like a bucket the fleet does not allow, when an s3:// adapter lies outside the tenant's buckets. */
    private static Optional<ValidationResult> loraBucketProblem(Tenant tenant, JobRequest request) {
        List<ValidationError> errors = new ArrayList<>();
        for (int i = 0; i < request.loras().size(); i++) {
            LoraSources.S3Uri uri = LoraSources.parseUri(request.loras().get(i).source());
            if (uri != null && !tenant.allowsBucket(uri.bucket())) {
                errors.add(new ValidationError(ErrorCode.INVALID_FIELD, "loras[" + i + "].source", "bucket '"
                        + uri.bucket() + "' is not one of tenant " + tenant.id() + "'s buckets"));
            }
        }
        return errors.isEmpty() ? Optional.empty()
                : Optional.of(new ValidationResult.Invalid(request.jobId(), request.labels(), errors));
    }

    /** The tenant of a validated request. */
    public Optional<Tenant> tenantOf(JobRequest request) {
        return directory.find(request.tenant());
    }

    private static ValidationResult notAllowed(JobRequest request, String field, String message) {
        return new ValidationResult.Invalid(request.jobId(), request.labels(),
                List.of(new ValidationError(ErrorCode.NOT_ALLOWED_FOR_TENANT, field, message)));
    }
}
