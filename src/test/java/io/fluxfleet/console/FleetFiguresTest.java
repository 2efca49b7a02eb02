package io.fluxfleet.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobJson;
import io.fluxfleet.worker.Heartbeat;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** The fleet page's figures: render percentiles per preset and bucket, and when a worker counts as lost. */
class FleetFiguresTest {

    static final Instant NOW = Instant.parse("2026-11-30T10:00:00Z");

    /** The console's settings with a one-hour window and a 30 s lost-after. */
    record Settings(Duration lostAfter, Duration window) implements ConsoleConfig {
        public boolean enabled() {
            return true;
        }

        public Optional<List<String>> operatorKeySha256() {
            return Optional.empty();
        }

        public boolean secureCookie() {
            return true;
        }

        public String replaysTopic() {
            return "replays";
        }
    }

    static ConsumerRecord<String, byte[]> completed(Instant at, String preset, long denoiseMs) {
        String json = JobJson.toJson(java.util.Map.of("type", JobEvent.COMPLETED, "timestamp", at.toString(),
                "acceleration", preset, "timings", java.util.Map.of("queueWaitMs", 5000, "textEncodeMs", 10,
                        "denoiseMs", denoiseMs, "decodeMs", 20, "encodeMs", 0, "uploadMs", 0)));
        return new ConsumerRecord<>("events", 0, 0, "job", json.getBytes(StandardCharsets.UTF_8));
    }

    // Mutation checked: counting the queue wait into the render time failed the p50 figure (6030, not 1030).
    @Test
    void renderTimePercentilesAndThroughputPerPresetAndBucket() {
        RenderStats stats = new RenderStats();
        stats.config = new Settings(Duration.ofSeconds(30), Duration.ofHours(1));
        for (int i = 1; i <= 20; i++) {
            stats.read(completed(NOW.minusSeconds(60), "jit-4x", i * 100L)); // last bucket
        }
        stats.read(completed(NOW.minus(Duration.ofMinutes(50)), "none", 970));
        stats.read(completed(NOW.minus(Duration.ofMinutes(70)), "none", 5)); // outside the hour

        RenderStats.Series s = stats.series(NOW);
        assertEquals(RenderStats.BUCKETS, s.buckets().size());
        assertEquals(21, s.renders());
        // render time = text encode + denoise + decode (+ encode + upload), never the queue wait
        assertEquals(1030L, s.p50().get("jit-4x").get(RenderStats.BUCKETS - 1)); // 10th of 20: 1000 + 30
        assertEquals(1930L, s.p95().get("jit-4x").get(RenderStats.BUCKETS - 1)); // 19th of 20: 1900 + 30
        assertEquals(20 / 5.0, s.perMinute().get("jit-4x").get(RenderStats.BUCKETS - 1), 1e-9);
        assertEquals(1000L, s.p50().get("none").get(2)); // 50 min ago: the third 5-minute bucket
        assertNull(s.p50().get("none").get(RenderStats.BUCKETS - 1));
    }

    static Heartbeat.Beat beat(Instant at, boolean stopping) {
        return new Heartbeat.Beat("w1", "1", at, 5000, stopping, "cpu", "dev", List.of(), 3, null);
    }

    // Mutation checked: Workers.of ignoring the three-interval floor made the slow worker "lost".
    @Test
    void aSilentWorkerIsLostAGracefulOneDrainsThenStops() {
        Workers workers = new Workers();
        workers.config = new Settings(Duration.ofSeconds(30), Duration.ofHours(1));
        assertEquals("alive", workers.of(beat(NOW.minusSeconds(10), false), NOW).status());
        assertEquals("lost", workers.of(beat(NOW.minusSeconds(31), false), NOW).status());
        assertEquals("draining", workers.of(beat(NOW.minusSeconds(10), true), NOW).status());
        assertEquals("stopped", workers.of(beat(NOW.minusSeconds(31), true), NOW).status());
        workers.config = new Settings(Duration.ofSeconds(5), Duration.ofHours(1));
        Heartbeat.Beat slow = new Heartbeat.Beat("w2", "1", NOW.minusSeconds(20), 10_000, false, "cpu", "dev",
                List.of(), 0, null);
        assertEquals("alive", workers.of(slow, NOW).status(), "three 10 s intervals have not passed");
    }
}
