package io.fluxfleet.worker;

import io.fluxfleet.job.JobValidator;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/** LoRA adapters per job (docs/lora.md). */
public interface LoraConfig {
    /** Bucket of the fleet's adapter library; absent: jobs may only name s3:// URIs in allowed buckets. */
    Optional<String> libraryBucket();

    /** Key prefix of the library: a name resolves to {@code <prefix>/<name>.safetensors} and the like. */
    @WithDefault("loras")
    String libraryPrefix();

    /** Buckets s3:// sources may name; absent: library names only. */
    Optional<Set<String>> allowedBuckets();

    @WithDefault("4")
    int maxPerJob();

    @WithDefault("-2")
    double minScale();

    @WithDefault("2")
    double maxScale();

    /** Larger adapter files are refused (LORA_TOO_LARGE) before downloading. */
    @WithDefault("1073741824")
    long maxFileBytes();

    /** Local disk cache of adapter files. */
    @WithDefault("${java.io.tmpdir}/fluxfleet-loras")
    Path cacheDir();

    /** The disk cache evicts least recently used files above this many bytes. */
    @WithDefault("10737418240")
    long diskCacheBytes();

    /** Each slot keeps uploaded adapters on its device up to this many bytes, least recently used evicted. */
    @WithDefault("4294967296")
    long deviceCacheBytes();

    default JobValidator.LoraLimits toValidatorLimits() {
        return new JobValidator.LoraLimits(maxPerJob(), minScale(), maxScale(), allowedBuckets().orElse(Set.of()));
    }
}
