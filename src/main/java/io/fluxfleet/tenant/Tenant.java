package io.fluxfleet.tenant;

import io.fluxfleet.job.Acceleration;
import io.fluxfleet.job.JobValidator;
import io.fluxfleet.job.KnownModels;
import io.fluxfleet.job.SafeNames;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One tenant as the tenants file defines it, checked: the key prefixes contain the tenant id as a
 * path segment, the default prefix is one of them, the limits are positive. Whether the limits fit
 * within the fleet's and whether prefixes of different tenants overlap is checked by
 * {@link TenantDirectory}, which sees all of them.
 *
 * @param id               the value of a job's {@code tenant} field
 * @param buckets          buckets a job may name; empty: only the fleet's default bucket
 * @param keyPrefixes      prefixes (and their sub-prefixes) a job's objects may lie under; never empty
 * @param defaultKeyPrefix the prefix of a job that names none; one of {@code keyPrefixes}
 * @param models           names of the models the tenant may use; empty: every model of the fleet
 * @param presets          acceleration presets the tenant may use ({@code custom} included or not)
 * @param limits           the tenant's request limits, each at most the fleet's
 * @param presign          whether completed events carry a presigned URL, and its expiry
 * @param webhookSecret    signs webhook deliveries (HTTP gateway); never logged
 * @param apiKeySha256     SHA-256 hex hashes of the tenant's API keys (HTTP gateway), see {@link ApiKeys}
 */
public record Tenant(
        String id,
        Set<String> buckets,
        Set<String> keyPrefixes,
        String defaultKeyPrefix,
        Set<String> models,
        Set<Acceleration> presets,
        Limits limits,
        Presign presign,
        Optional<Secret> webhookSecret,
        Set<String> apiKeySha256) {

    /** S3 allows presigned URLs valid for at most 7 days. */
    public static final Duration MAX_PRESIGN_EXPIRY = Duration.ofDays(7);

    public Tenant {
        if (!SafeNames.isValidTenant(id)) {
            throw new IllegalArgumentException("tenant id '" + id + "' must be 1-64 characters of A-Z a-z 0-9 . _ : -");
        }
        buckets = Set.copyOf(Objects.requireNonNull(buckets, "buckets"));
        for (String bucket : buckets) {
            if (!SafeNames.isValidBucket(bucket)) {
                throw new IllegalArgumentException("tenant " + id + ": '" + bucket + "' is not a valid bucket name");
            }
        }
        keyPrefixes = Set.copyOf(Objects.requireNonNull(keyPrefixes, "keyPrefixes").stream()
                .map(p -> checkedPrefix(id, p)).toList());
        if (keyPrefixes.isEmpty()) {
            throw new IllegalArgumentException("tenant " + id + ": at least one key prefix is needed");
        }
        defaultKeyPrefix = checkedPrefix(id, defaultKeyPrefix);
        if (!underAny(defaultKeyPrefix, keyPrefixes)) {
            throw new IllegalArgumentException("tenant " + id + ": the default key prefix '" + defaultKeyPrefix
                    + "' is not under one of its key prefixes " + keyPrefixes);
        }
        models = Set.copyOf(Objects.requireNonNull(models, "models"));
        presets = Set.copyOf(Objects.requireNonNull(presets, "presets"));
        for (String model : models) {
            if (!KnownModels.isValidName(model)) {
                throw new IllegalArgumentException("tenant " + id + ": '" + model + "' is not a model name ("
                        + KnownModels.NAME_RULE + ")");
            }
        }
        if (presets.isEmpty()) {
            throw new IllegalArgumentException("tenant " + id + ": presets must not be empty");
        }
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(presign, "presign");
        webhookSecret = Objects.requireNonNull(webhookSecret, "webhookSecret");
        apiKeySha256 = Set.copyOf(Objects.requireNonNull(apiKeySha256, "apiKeySha256"));
        for (String hash : apiKeySha256) {
            if (!ApiKeys.isSha256Hex(hash)) {
                throw new IllegalArgumentException("tenant " + id + ": API keys are listed as 64 lower-case hex digits"
                        + " (SHA-256), never in clear");
            }
        }
    }

    /** The {@code renders/<id>} default of a tenant that states no prefixes. */
    public static String defaultPrefixFor(String tenantId) {
        return "renders/" + tenantId;
    }

    /**
     * A tenant with the defaults of an entry that states nothing but its id: prefix
     * {@code renders/<id>}, the fleet's default bucket, every model and preset, the fleet's limits,
     * presigned URLs off.
     */
    public static Tenant withDefaults(String id, JobValidator.Limits fleet) {
        String prefix = defaultPrefixFor(id);
        return new Tenant(id, Set.of(), Set.of(prefix), prefix, Set.of(),
                EnumSet.allOf(Acceleration.class), Limits.of(fleet), Presign.OFF, Optional.empty(), Set.of());
    }

    /**
     * Request limits.
     *
     * @param maxPixels       width x height
     * @param maxSteps        steps of any kind: the request's, and every step budget of a custom preset
     * @param maxRequestBytes size of the raw request
     */
    public record Limits(long maxPixels, int maxSteps, int maxRequestBytes) {
        public Limits {
            if (maxPixels < 1 || maxSteps < 1 || maxRequestBytes < 1) {
                throw new IllegalArgumentException("tenant limits must be positive");
            }
        }

        /** The fleet's own limits. */
        public static Limits of(JobValidator.Limits fleet) {
            return new Limits(fleet.maxPixels(), fleet.maxSteps(), fleet.maxRequestBytes());
        }

        /** True when each limit is at most the fleet's. */
        public boolean within(JobValidator.Limits fleet) {
            return maxPixels <= fleet.maxPixels() && maxSteps <= fleet.maxSteps() && maxRequestBytes <= fleet.maxRequestBytes();
        }
    }

    /** Presigned GET URLs in completed events: {@link #OFF}, or on with an expiry of at most 7 days. */
    public record Presign(boolean enabled, Duration expiry) {
        public static final Presign OFF = new Presign(false, Duration.ZERO);

        public Presign {
            Objects.requireNonNull(expiry, "expiry");
            if (enabled && (expiry.isNegative() || expiry.isZero() || expiry.compareTo(MAX_PRESIGN_EXPIRY) > 0)) {
                throw new IllegalArgumentException("presign expiry must be above 0 and at most " + MAX_PRESIGN_EXPIRY);
            }
        }
    }

    /** Whether a job may name this bucket; null (the fleet's default bucket) is always allowed. */
    public boolean allowsBucket(String bucket) {
        return bucket == null || buckets.contains(bucket);
    }

    /** Whether a (normalised) key prefix equals or lies under one of the tenant's prefixes. */
    public boolean allowsKeyPrefix(String prefix) {
        return prefix != null && underAny(prefix, keyPrefixes);
    }

    /** Whether an object key lies strictly under one of the tenant's prefixes: the worker's last check. */
    public boolean ownsKey(String objectKey) {
        return objectKey != null && !objectKey.contains("..")
                && keyPrefixes.stream().anyMatch(p -> objectKey.startsWith(p + "/"));
    }

    public boolean allowsModel(String model) {
        return models.isEmpty() || models.contains(model);
    }

    public boolean allowsPreset(Acceleration preset) {
        return presets.contains(preset);
    }

    /** The validator limits of this tenant's jobs: the fleet's, narrowed to the tenant's. */
    public JobValidator.Limits validatorLimits(JobValidator.Limits fleet) {
        return new JobValidator.Limits(fleet.maxPromptLength(),
                Math.min(fleet.maxPixels(), limits.maxPixels()),
                fleet.maxSide(),
                Math.min(fleet.maxSteps(), limits.maxSteps()),
                buckets,
                keyPrefixes,
                Math.min(fleet.maxRequestBytes(), limits.maxRequestBytes()));
    }

    @Override
    public String toString() {
        // Spelled out so that no future component prints a secret or key hash by accident.
        return "Tenant[id=" + id + ", buckets=" + buckets + ", keyPrefixes=" + keyPrefixes + ", defaultKeyPrefix="
                + defaultKeyPrefix + ", models=" + models + ", presets=" + presets + ", limits=" + limits
                + ", presign=" + presign + ", webhookSecret=" + (webhookSecret.isPresent() ? "***" : "none")
                + ", apiKeys=" + apiKeySha256.size() + "]";
    }

    static boolean under(String prefix, String root) {
        return prefix.equals(root) || prefix.startsWith(root + "/");
    }

    private static boolean underAny(String prefix, Set<String> roots) {
        return roots.stream().anyMatch(root -> under(prefix, root));
    }

    private static String checkedPrefix(String id, String prefix) {
        String problem = SafeNames.keyPrefixProblem(prefix);
        if (problem != null) {
            throw new IllegalArgumentException("tenant " + id + ": " + problem);
        }
        String normalised = prefix.replaceAll("/+$", "");
        if (!Arrays.asList(normalised.split("/")).contains(id)) {
            throw new IllegalArgumentException("tenant " + id + ": key prefix '" + normalised
                    + "' must contain the tenant id as a path segment (e.g. " + defaultPrefixFor(id) + ")");
        }
        return normalised;
    }
}
