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

    LoraConfig lora();

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

    ReliabilityConfig reliability();

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
