package io.fluxfleet.worker;

import io.fluxfleet.job.JobValidator;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The worker's settings ({@code fluxfleet.*} in application.properties, or environment variables
 * such as {@code FLUXFLEET_MODEL_DIR}, {@code FLUXFLEET_SLOTS}). Kafka and S3 connections are
 * configured the Quarkus way ({@code kafka.bootstrap.servers}, {@code quarkus.minio.*}).
 */
@ConfigMapping(prefix = "fluxfleet")
public interface FleetConfig {

    /** A FLUX.1 directory (diffusers or original layout) or a tiny checkpoint; loaded once per slot. */
    Path modelDir();

    /**
     * Device slots, one model replica and one job in flight each: {@code cpu}, or CUDA devices
     * ({@code cuda:0,cuda:1}). {@code smallrye.messaging.worker.render-pool.max-concurrency} must be
     * the same number (checked at startup).
     */
    @WithDefault("cpu")
    List<String> slots();

    /** Kernel implementation of the engine: AUTO, FUSED or COMPOSED. */
    @WithDefault("AUTO")
    String kernels();

    /** Preset of requests that name none: none, jit-4x, jit-7x, ralu-4x, ralu-5x or ralu-7x. */
    @WithDefault("jit-4x")
    String defaultAcceleration();

    /** The id in events and the CloudEvents source; default {@code <hostname>-<pid>}. */
    Optional<String> workerId();

    Progress progress();

    Topics topics();

    Storage storage();

    Limits limits();

    Render render();

    Warmup warmup();

    Tenants tenants();

    Lanes lanes();

    /** Priority lanes (docs/operator-guide.md, "Model pools and priority lanes"). */
    interface Lanes {
        /** Priorities from this one up go to the high lane ({@code <jobs topic>.high}); 10: no high lane. */
        @WithDefault("7")
        int highFrom();

        /** Priorities up to this one go to the low lane ({@code <jobs topic>.low}); -1: no low lane. */
        @WithDefault("2")
        int lowUpTo();

        /**
         * Anti-starvation: while the low lane has a job waiting, at least one start in this many goes to it,
         * however long the higher lanes' backlog; 0: strictly after the higher lanes.
         */
        @WithDefault("5")
        int lowShare();

        default io.fluxfleet.routing.LaneBounds bounds() {
            return new io.fluxfleet.routing.LaneBounds(highFrom(), lowUpTo());
        }
    }

    Catalog catalog();

    /** Model pools (docs/operator-guide.md): the catalog, and which of its models this worker pool serves. */
    interface Catalog {
        /** The model catalog (YAML or JSON); absent: one pool, on the lanes of fluxfleet.topics.jobs. */
        Optional<Path> file();

        /** A catalog model without a topic gets {@code <topic-prefix>.<model>}. */
        @WithDefault("fluxfleet.jobs")
        String topicPrefix();
    }

    Pool pool();

    /** This worker's pool: the consumer groups of its lanes and retries ({@code <group>}, -high, -low, -retry). */
    interface Pool {
        /**
         * The base jobs topic of this worker's pool: it consumes its lanes ({@code .high}, itself, {@code .low}).
         * Default: fluxfleet.topics.jobs; in a fleet with a catalog, the catalog topic of the model it serves.
         */
        String topic();

        @WithDefault("fluxfleet-workers")
        String group();
    }

    /** Tenants (docs/security.md): who may send jobs and what their jobs may do. */
    interface Tenants {
        /** The tenants file (YAML or JSON); absent: no tenants but the default one. */
        Optional<Path> file();

        /**
         * The tenant of jobs that name none: {@code demo} in dev, the demo and tests. The worker
         * refuses to start in the prod profile with one set: there a job must name a known tenant.
         */
        Optional<String> defaultTenant();

        /**
         * Publish each job's events on {@code <fluxfleet.topics.events>.<tenant>} instead of the shared
         * events topic, so that a tenant's consumer can be limited to its own jobs by ACLs.
         */
        @WithDefault("false")
        boolean eventTopicPerTenant();
    }

    Lora lora();

    /** LoRA adapters per job (docs/lora.md). */
    interface Lora {
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

    interface Progress {
        /** A progress event at most every N denoising steps (steps N, 2N, ...). */
        @WithDefault("1")
        int everySteps();

        /**
         * Progress events sent but not yet acknowledged by the broker, at most; further ones are dropped
         * (progress is best effort) so that a broker blip never piles them up ahead of terminal events.
         */
        @WithDefault("16")
        int maxUnacknowledged();
    }

    /** Topic names; the channels read them ({@code mp.messaging.*.topic=${fluxfleet.topics.*}}). */
    interface Topics {
        @WithDefault("fluxfleet.jobs")
        String jobs();

        @WithDefault("fluxfleet.events")
        String events();

        /** Jobs waiting for another attempt (one delay tier; the record carries its not-before time). */
        @WithDefault("fluxfleet.jobs.retry")
        String retry();

        /** The consumer group of the retry topic (RetryIntake; KEDA scales on its lag too). */
        @WithDefault("fluxfleet-workers-retry")
        String retryGroup();

        /** Jobs given up on, with the reason and every attempt's error (headers, docs/reliability.md). */
        @WithDefault("fluxfleet.jobs.dlq")
        String dlq();

        /** Control requests, key jobId, value {"type":"cancel"}. */
        @WithDefault("fluxfleet.control")
        String control();

        /** Compacted: key jobId, value {attempts, firstSeen, lastWorker}, written when a render starts. */
        @WithDefault("fluxfleet.attempts")
        String attempts();
    }

    Reliability reliability();

    Shutdown shutdown();

    /** Graceful shutdown on SIGTERM (docs/reliability.md). */
    interface Shutdown {
        /**
         * How long a stopping worker lets the jobs in flight finish (render, upload, terminal event,
         * ack); after that they are left uncommitted and another worker takes them, and the exit code
         * says so. Must cover render timeout + upload budget + publish timeout (checked at startup);
         * keep terminationGracePeriodSeconds above it plus the preStop drain.
         */
        @WithDefault("PT35M")
        Duration grace();
    }

    /** Retries, dead letters, crash-loop cap, cancellation, upload retries (docs/reliability.md). */
    interface Reliability {
        /** Attempts of a job with transient failures before it is dead-lettered with RETRIES_EXHAUSTED. */
        @WithDefault("3")
        int maxAttempts();

        /** Delay before the second attempt; doubled for each further one, capped by maxBackoff. */
        @WithDefault("PT2S")
        Duration backoff();

        @WithDefault("PT1M")
        Duration maxBackoff();

        /** Renders started for one jobId (attempts topic) at which the next worker dead-letters it: CRASH_LOOP. */
        @WithDefault("3")
        int crashLoopCap();

        /** PUTs of the image / sidecar before the job is handed to the retry topic (the image is kept meanwhile). */
        @WithDefault("6")
        int uploadAttempts();

        /** First pause between upload attempts; doubled each time, capped at 8 s. */
        @WithDefault("PT0.5S")
        Duration uploadBackoff();

        /** How long a cancel request is remembered. */
        @WithDefault("PT1H")
        Duration cancelTtl();

        /** At most this many cancelled jobIds are remembered (oldest dropped first). */
        @WithDefault("10000")
        int cancelMaxEntries();

        /**
         * How often a worker renews the attempts entry of a job it renders; an open start not renewed
         * for four times this long is counted as a crash.
         */
        @WithDefault("PT5S")
        Duration leaseRenewal();

        /**
         * The longest the store step may take (image and sidecar PUTs with their retries); part of
         * what the shutdown grace must cover.
         */
        @WithDefault("PT1M")
        Duration uploadBudget();

        /** Publishes of a terminal event that time out are retried in place this many times (a broker blip). */
        @WithDefault("5")
        int publishAttempts();

        /** Consecutive device (non-OOM CUDA) errors after which liveness goes DOWN. */
        @WithDefault("2")
        int deviceErrorsForDown();
    }

    interface Storage {
        /** Bucket of requests that name none; always allowed. */
        @WithDefault("fluxfleet-renders")
        String bucket();

        /** Create the default bucket at startup when it does not exist. */
        @WithDefault("true")
        boolean createBucket();

        /** Validity of the presigned GET URL in the completed event; 0 for none. */
        @WithDefault("PT1H")
        Duration presignExpiry();
    }

    /** Request limits, mapped onto {@link JobValidator.Limits}. */
    interface Limits {
        @WithDefault("2000")
        int maxPromptLength();

        @WithDefault("2097152")
        long maxPixels();

        @WithDefault("4096")
        int maxSide();

        @WithDefault("100")
        int maxSteps();

        @WithDefault("65536")
        int maxRequestBytes();

        /** Buckets a request may name besides the default one; empty: any. */
        Optional<Set<String>> allowedBuckets();

        /** Key prefixes (and their sub-prefixes) a request may use, the default "renders" included; empty: any. */
        Optional<Set<String>> allowedKeyPrefixes();

        default JobValidator.Limits toValidatorLimits(String defaultBucket) {
            Set<String> buckets = allowedBuckets().map(b -> {
                java.util.Set<String> all = new java.util.HashSet<>(b);
                all.add(defaultBucket);
                return (Set<String>) all;
            }).orElse(Set.of());
            return new JobValidator.Limits(maxPromptLength(), maxPixels(), maxSide(), maxSteps(), buckets,
                    allowedKeyPrefixes().orElse(Set.of()), maxRequestBytes());
        }
    }

    interface Render {
        /**
         * The longest a render may take; a job still denoising after this fails with RENDER_FAILED.
         * {@code mp.messaging.incoming.jobs.throttled.unprocessed-record-max-age.ms} must be larger
         * (checked at startup), or SmallRye marks the channel unhealthy during long renders.
         */
        @WithDefault("PT30M")
        Duration timeout();

        /** How long a publish of a started/completed/failed event may take before the job is nacked. */
        @WithDefault("PT30S")
        Duration publishTimeout();
    }

    interface Warmup {
        @WithDefault("true")
        boolean enabled();

        @WithDefault("64")
        int width();

        @WithDefault("64")
        int height();

        @WithDefault("2")
        int steps();
    }
}
