package io.fluxfleet.console;

import io.fluxfleet.gateway.GatewayConfig;
import io.fluxfleet.gateway.KafkaClients;
import io.fluxfleet.worker.FleetConfig;
import io.fluxfleet.worker.HeartbeatConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What the console reads from Kafka, in one consumer: live job states (for the table), the jobs topic
 * and the events topic of the console's window (requests, render figures), the dead letters, the
 * heartbeats and the replay log (each whole).
 */
@ApplicationScoped
public class ConsoleFeeds {

    @Inject
    ConsoleConfig config;

    @Inject
    GatewayConfig gateway;

    @Inject
    FleetConfig fleet;

    @Inject
    HeartbeatConfig heartbeat;

    @Inject
    KafkaClients kafka;

    @Inject
    JobsLive live;

    @Inject
    RecentRequests requests;

    @Inject
    RenderStats stats;

    @Inject
    DeadLetters deadLetters;

    @Inject
    Workers workers;

    @Inject
    Replays replays;

    private TopicTail tail;

    void onStart(@Observes @Priority(40) StartupEvent event) {
        if (gateway.enabled() && config.enabled()) {
            start();
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        stop();
    }

    synchronized void start() {
        kafka.ensureTopics(List.of(config.replaysTopic()), List.of(heartbeat.topic()), gateway.state().partitions(),
                gateway.state().replicationFactor());
        tail = new TopicTail(kafka.config(Map.of()), List.of(
                new TopicTail.Source(gateway.topics().state(), Duration.ZERO, live::read),
                new TopicTail.Source(fleet.topics().jobs(), config.window(), requests::read),
                new TopicTail.Source(fleet.topics().events(), config.window(), stats::read),
                new TopicTail.Source(fleet.topics().dlq(), null, deadLetters::read),
                new TopicTail.Source(heartbeat.topic(), null, workers::read),
                new TopicTail.Source(config.replaysTopic(), null, replays::read)));
        tail.start("fluxfleet-console-feeds");
    }

    synchronized void stop() {
        if (tail != null) {
            tail.stop();
            tail = null;
        }
    }
}
