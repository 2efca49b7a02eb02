package io.fluxfleet.worker;

import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Retries, dead letters, crash-loop cap, cancellation, upload retries (docs/reliability.md). */
public interface ReliabilityConfig {
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
