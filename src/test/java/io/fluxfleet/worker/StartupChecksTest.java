package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.common.MapBackedConfigSource;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The settings the worker refuses to start with, read through the real config mapping. */
class StartupChecksTest {

    private static SmallRyeConfig config(Map<String, String> overrides) {
        Map<String, String> values = new HashMap<>(Map.of(
                "fluxfleet.model-dir", "/models/none",
                "fluxfleet.pool.topic", "fluxfleet.jobs",
                StartupChecks.MAX_AGE, "3600000"));
        for (String pool : StartupChecks.LANE_POOLS) {
            values.put("smallrye.messaging.worker." + pool + ".max-concurrency", "2");
        }
        values.putAll(overrides);
        return new SmallRyeConfigBuilder().withMapping(FleetConfig.class)
                .withSources(new MapBackedConfigSource("test", values) {
                }).build();
    }

    private static void verify(Map<String, String> overrides) {
        SmallRyeConfig config = config(overrides);
        StartupChecks.verify(config.getConfigMapping(FleetConfig.class), config);
    }

    /**
     * A grace period shorter than render + upload + publish would kill renders on every rollout.
     * Mutation check: without the grace check in verify() the short grace started.
     */
    @Test
    void refusesAShutdownGraceShorterThanAJobInFlightMayTake() {
        // render 5 min + upload 1 min + publish 5 x 30 s + 7.5 s of pauses = 8 min 37.5 s
        Map<String, String> base = Map.of("fluxfleet.render.timeout", "PT5M");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> verify(with(base, "fluxfleet.shutdown.grace", "PT8M30S")));
        assertTrue(e.getMessage().contains("fluxfleet.shutdown.grace"), e.getMessage());
        assertDoesNotThrow(() -> verify(with(base, "fluxfleet.shutdown.grace", "PT8M38S")));
        assertThrows(IllegalStateException.class, () -> verify(with(with(base, "fluxfleet.shutdown.grace", "PT8M38S"),
                "fluxfleet.reliability.upload-budget", "PT2M")), "the upload budget counts");
    }

    /**
     * Each lane's pool holds one render per slot plus the record waiting for the next turn; with fewer, a
     * lane's next job is not waiting when a turn frees and a lower lane's job takes it.
     * Mutation check: with the pool-size loop removed from verify() the two-slot worker with pools of 2 started.
     */
    @Test
    void refusesLanePoolsThatAreNotTheSlotsPlusOne() {
        Map<String, String> twoSlots = Map.of("fluxfleet.slots", "cuda:0,cuda:1");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> verify(twoSlots));
        assertTrue(e.getMessage().contains("RENDER_POOL_HIGH_MAX_CONCURRENCY=3"), e.getMessage());
        Map<String, String> fixed = new HashMap<>(twoSlots);
        StartupChecks.LANE_POOLS.forEach(p -> fixed.put("smallrye.messaging.worker." + p + ".max-concurrency", "3"));
        assertDoesNotThrow(() -> verify(fixed));
    }

    /** Mutation check: with verifyLanes() returning at once the channel on the wrong topic passed. */
    @Test
    void refusesALaneChannelOnAnotherTopicThanItsPoolsLane() {
        Map<String, String> lanes = Map.of("mp.messaging.incoming.jobs-high.topic", "fluxfleet.jobs.high",
                "mp.messaging.incoming.jobs.topic", "fluxfleet.jobs",
                "mp.messaging.incoming.jobs-low.topic", "fluxfleet.jobs.low");
        SmallRyeConfig good = config(lanes);
        assertDoesNotThrow(() -> StartupChecks.verifyLanes(good.getConfigMapping(FleetConfig.class), good));
        SmallRyeConfig bad = config(with(lanes, "mp.messaging.incoming.jobs-low.topic", "fluxfleet.jobs-low"));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> StartupChecks.verifyLanes(bad.getConfigMapping(FleetConfig.class), bad));
        assertTrue(e.getMessage().contains("fluxfleet.jobs.low"), e.getMessage());
    }

    @Test
    void theDefaultsAgree() {
        assertDoesNotThrow(() -> verify(Map.of()));
    }

    private static Map<String, String> with(Map<String, String> base, String key, String value) {
        Map<String, String> m = new HashMap<>(base);
        m.put(key, value);
        return m;
    }
}
