package io.fluxfleet.worker;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * The worker's heartbeat ({@link Heartbeat}): a record per worker on a compacted topic, read by the
 * operator console's fleet page.
 */
@ConfigMapping(prefix = "fluxfleet.heartbeat")
public interface HeartbeatConfig {

    /** Off in the gateway role, which renders nothing. */
    @WithDefault("true")
    boolean enabled();

    /** Compacted, keyed by worker id: the latest beat of every worker. */
    @WithDefault("fluxfleet.heartbeats")
    String topic();

    @WithDefault("PT5S")
    Duration interval();
}
