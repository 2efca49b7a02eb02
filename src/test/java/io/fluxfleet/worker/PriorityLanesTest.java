package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.job.JobEvent;
import io.fluxfleet.routing.Lane;
import io.fluxfleet.worker.KafkaTestClients.EventRecord;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * Priority lanes against the real broker and S3 server, one worker with one slot: the order of the
 * jobs' started events (the worker's own clock, one worker) shows which job got each render turn.
 */
@QuarkusTest
@QuarkusTestResource(value = FleetStackResource.class, restrictToAnnotatedClass = false)
class PriorityLanesTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(4);
    private static final String POOL = FleetStackResource.JOBS_TOPIC;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @ConfigProperty(name = "fluxfleet.lanes.low-share")
    int lowShare;

    /**
     * Six low jobs wait in the low lane; a high job submitted once the first of them started renders
     * right after it, before the other five.
     * Mutation check: with LaneScheduler.next() taking the longest-waiting record whatever its lane, the
     * high job started after low-2 (and after every low job the worker held): the test failed.
     */
    @Test
    void aHighJobSubmittedLaterStartsBeforeTheLowBacklog() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        List<String> lows = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> events = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC);
             KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            for (int i = 1; i <= 6; i++) {
                String id = "lane-low-" + run + "-" + i;
                lows.add(id);
                KafkaTestClients.send(producer, Lane.LOW.topicOf(POOL), id, job(id, 0));
            }
            awaitStarted(events, lows.get(0));
            String high = "lane-high-" + run;
            KafkaTestClients.send(producer, Lane.HIGH.topicOf(POOL), high, job(high, 9));

            Set<String> all = new HashSet<>(lows);
            all.add(high);
            List<String> order = startOrder(KafkaTestClients.awaitTerminal(events, all, TIMEOUT));
            assertEquals(lows.get(0), order.get(0), "the first low job started before the high one was sent: " + order);
            assertEquals(high, order.get(1), "the high job takes the next turn, before low 2..6: " + order);
        }
    }

    /**
     * Anti-starvation: under a backlog of eight high jobs, a low job still starts within the first
     * low-share starts after it waits, not after the high lane drains.
     * Mutation check: with fluxfleet.lanes.low-share's rule removed from LaneScheduler.next() both low
     * jobs started last (positions 9 and 10): the test failed.
     */
    @Test
    void theLowLaneProgressesUnderAHighBacklog() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        try (KafkaConsumer<String, byte[]> events = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC);
             KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            String blocker = "lane-blocker-" + run;
            KafkaTestClients.send(producer, POOL, blocker, job(blocker, 5));
            awaitStarted(events, blocker);
            Set<String> highs = new HashSet<>();
            for (int i = 1; i <= 8; i++) {
                String id = "lane-backlog-high-" + run + "-" + i;
                highs.add(id);
                KafkaTestClients.send(producer, Lane.HIGH.topicOf(POOL), id, job(id, 9));
            }
            String low = "lane-starved-low-" + run;
            KafkaTestClients.send(producer, Lane.LOW.topicOf(POOL), low, job(low, 1));

            Set<String> all = new HashSet<>(highs);
            all.add(low);
            all.add(blocker);
            List<String> order = startOrder(KafkaTestClients.awaitTerminal(events, all, TIMEOUT));
            assertEquals(blocker, order.get(0), order.toString());
            int lowPosition = order.indexOf(low); // 1-based among the starts after the blocker
            assertTrue(lowPosition <= lowShare, "the low job must start within the first " + lowShare
                    + " starts while eight high jobs wait; it was start " + lowPosition + " of " + order);
            assertTrue(order.subList(lowPosition + 1, order.size()).stream().anyMatch(highs::contains),
                    "high jobs were still waiting when the low job started: " + order);
        }
    }

    private static String job(String id, int priority) {
        return """
                {"jobId": "%s", "prompt": "lanes", "width": 128, "height": 128, "steps": 12, "seed": 1,
                 "acceleration": "none", "priority": %d}""".formatted(id, priority);
    }

    /** The jobIds by the time their (first) started event was stamped. */
    private static List<String> startOrder(Map<String, List<EventRecord>> byJob) {
        return byJob.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue().stream().map(EventRecord::event)
                        .filter(JobEvent.Started.class::isInstance).map(JobEvent::timestamp)
                        .min(Comparator.naturalOrder()).orElseThrow(() -> new AssertionError("never started: " + e))))
                .sorted(Map.Entry.comparingByValue()).map(Map.Entry::getKey).toList();
    }

    private static void awaitStarted(KafkaConsumer<String, byte[]> events, String jobId) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> r : events.poll(Duration.ofMillis(100))) {
                if (jobId.equals(r.key()) && io.fluxfleet.job.JobJson.readEvent(r.value()) instanceof JobEvent.Started) {
                    events.seekToBeginning(events.assignment()); // awaitTerminal reads every event again
                    return;
                }
            }
        }
        throw new AssertionError(jobId + " never started");
    }
}
