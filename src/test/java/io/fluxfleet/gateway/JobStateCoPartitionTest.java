package io.fluxfleet.gateway;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The gateway refuses to start its job-state fold on topics that are not co-partitioned with the events
 * topic: a job's request, events and dead webhooks would reach different fold tasks.
 *
 * <p>{@code JobStateStore.start} passes every job lane and the webhook DLQ to this check before the topology
 * starts. Mutation checked: with the comparison removed from {@code requireCoPartitioned}, both refusals here
 * fail.
 */
class JobStateCoPartitionTest {

    private static final List<String> FOLDED = List.of("jobs", "jobs-high", "webhooks-dlq");

    @Test
    void equalPartitionCountsPass() {
        assertDoesNotThrow(() -> JobStateStore.requireCoPartitioned(
                Map.of("jobs", 6, "jobs-high", 6, "webhooks-dlq", 6, "events", 6), FOLDED, "events"));
    }

    @Test
    void aJobLaneWithOtherPartitionsIsRefusedByName() {
        var e = assertThrows(IllegalStateException.class, () -> JobStateStore.requireCoPartitioned(
                Map.of("jobs", 6, "jobs-high", 3, "webhooks-dlq", 6, "events", 6), FOLDED, "events"));
        assertTrue(e.getMessage().contains("jobs-high (3 partitions)"), e.getMessage());
    }

    @Test
    void aWebhookDlqWithOtherPartitionsIsRefusedByName() {
        var e = assertThrows(IllegalStateException.class, () -> JobStateStore.requireCoPartitioned(
                Map.of("jobs", 6, "jobs-high", 6, "webhooks-dlq", 1, "events", 6), FOLDED, "events"));
        assertTrue(e.getMessage().contains("webhooks-dlq (1 partitions)"), e.getMessage());
    }
}
