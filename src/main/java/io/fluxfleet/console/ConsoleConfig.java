package io.fluxfleet.console;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The operator console (docs/console.md), served by the gateway role at /console. */
@ConfigMapping(prefix = "fluxfleet.console")
public interface ConsoleConfig {

    /** The console is on wherever the gateway role is, unless turned off here. */
    @WithDefault("true")
    boolean enabled();

    /**
     * SHA-256 (hex) of the operator keys: an operator sees every tenant's jobs, the dead letters and the
     * fleet. Without any, only tenant keys sign in (and see their own jobs).
     */
    Optional<List<String>> operatorKeySha256();

    /** A worker whose last beat is older than this (and at least three intervals) is shown as lost. */
    @WithDefault("PT30S")
    Duration lostAfter();

    /** The console's sign-in cookie is Secure (HTTPS only); off for the loopback demo. */
    @WithDefault("true")
    boolean secureCookie();

    /** Replays: who replayed which job, when, and with which change (a log, keyed by jobId). */
    @WithDefault("fluxfleet.console.replays")
    String replaysTopic();

    /** How far back the console reads the events topic for the charts and the jobs topic for requests. */
    @WithDefault("PT1H")
    Duration window();
}
