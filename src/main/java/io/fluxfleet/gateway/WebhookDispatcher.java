package io.fluxfleet.gateway;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * Delivers the webhooks topic. Each record is one attempt: it waits (a timer, not a thread) until its
 * not-before time, runs in its tenant's lane ({@link WebhookLanes}), and on failure is put back on
 * the topic as the next attempt with exponential backoff and jitter, or, past
 * {@code fluxfleet.gateway.webhooks.max-age}, on the webhook DLQ (which the job state shows). A
 * record's offset is committed only once it is delivered, re-queued or dead-lettered
 * ({@link PendingOffsets}), so a restart loses none (and may repeat some: receivers dedupe by webhook-id).
 */
@ApplicationScoped
public class WebhookDispatcher {

    private static final Logger LOG = Logger.getLogger(WebhookDispatcher.class);

    @Inject
    GatewayConfig config;

    @Inject
    KafkaClients kafka;

    @Inject
    GatewayProducer producer;

    @Inject
    WebhookTargets targets;

    @Inject
    WebhookSender sender;

    @Inject
    TenantAccess tenants;

    @Inject
    Vertx vertx;

    @Inject
    GatewayMetrics metrics;

    private final PollingLoop loop = new PollingLoop();
    private WebhookLanes lanes;
    private volatile PendingOffsets pending = new PendingOffsets();

    void onStart(@Observes @Priority(40) StartupEvent event) {
        if (config.enabled()) {
            start();
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        stop();
    }

    public synchronized void start() {
        lanes = new WebhookLanes(config.webhooks().perTenantConcurrency());
        pending = new PendingOffsets();
        loop.start("fluxfleet-gateway-webhooks", this::poll);
    }

    /** Stops taking deliveries; what is not finished stays uncommitted for the next owner. */
    public synchronized void stop() {
        loop.stop(10_000);
    }

    private void poll() {
        Map<String, Object> props = kafka.config(Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, config.state().applicationId() + "-webhooks",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName()));
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(java.util.List.of(config.topics().webhooks()), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    consumer.commitSync(pending.committable(partitions));
                    pending.forget(partitions);
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                }
            });
            long lastCommit = System.currentTimeMillis();
            while (loop.running()) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    pending.add(tp, r.offset());
                    schedule(r.value(), tp, r.offset());
                }
                if (pending.size() > config.webhooks().maxPending()) {
                    consumer.pause(consumer.assignment());
                } else {
                    consumer.resume(consumer.paused());
                }
                if (System.currentTimeMillis() - lastCommit > 500) {
                    consumer.commitSync(pending.committable(consumer.assignment()));
                    lastCommit = System.currentTimeMillis();
                }
            }
            consumer.commitSync(pending.committable(consumer.assignment()));
        } catch (RuntimeException e) {
            LOG.errorf(e, "webhook dispatcher stopped");
        }
    }

    private void schedule(byte[] value, TopicPartition tp, long offset) {
        WebhookDelivery delivery;
        try {
            delivery = JobStateFold.JSON.readValue(value, WebhookDelivery.class);
        } catch (Exception e) {
            LOG.warnf("unreadable webhook delivery at %s@%d skipped: %s", tp, offset, e.toString());
            pending.done(tp, offset);
            return;
        }
        long wait = delivery.notBefore().toEpochMilli() - System.currentTimeMillis();
        Runnable go = () -> lanes.run(delivery.tenant(), finished -> attempt(delivery, tp, offset, finished));
        if (wait > 0) {
            vertx.setTimer(wait, id -> go.run());
        } else {
            go.run();
        }
    }

    private void attempt(WebhookDelivery delivery, TopicPartition tp, long offset, Runnable finished) {
        vertx.<WebhookTargets.Target>executeBlocking(() -> targets.resolve(delivery.url()), false)
                .compose(target -> {
                    String secret = tenants.find(delivery.tenant()).flatMap(t -> t.webhookSecret())
                            .map(s -> s.value()).orElse(null);
                    if (secret == null) {
                        return io.vertx.core.Future.succeededFuture("tenant " + delivery.tenant()
                                + " has no webhookSecret; deliveries are never sent unsigned");
                    }
                    byte[] body = JobStateFold.JSON.valueToTree(delivery.body()).toString()
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    return sender.send(target, secret, delivery, body);
                })
                .otherwise(failure -> failure instanceof WebhookTargets.BlockedTarget
                        ? "BLOCKED " + failure.getMessage() : failure.toString())
                .onComplete(result -> {
                    String error = result.result();
                    finished.run();
                    if (error == null) {
                        LOG.debugf("webhook %s of job %s delivered (attempt %d)", delivery.webhookId(), delivery.jobId(),
                                delivery.attempt());
                        metrics.webhook("delivered");
                        pending.done(tp, offset);
                    } else {
                        failed(delivery, error, tp, offset);
                    }
                });
    }

    private void failed(WebhookDelivery delivery, String error, TopicPartition tp, long offset) {
        Instant now = Instant.now();
        Duration backoff = backoff(delivery.attempt());
        boolean permanent = error.startsWith("BLOCKED") || error.contains("no webhookSecret");
        boolean tooOld = now.plus(backoff).isAfter(delivery.firstQueuedAt().plus(config.webhooks().maxAge()));
        ProducerRecord<String, byte[]> record;
        try {
            if (permanent || tooOld) {
                WebhookDelivery dead = new WebhookDelivery(delivery.webhookId(), delivery.tenant(), delivery.jobId(),
                        delivery.url(), delivery.eventType(), delivery.body(), delivery.attempt(), delivery.firstQueuedAt(),
                        delivery.notBefore(), error);
                LOG.warnf("webhook %s of job %s to %s dead-lettered after %d attempt(s): %s", delivery.webhookId(),
                        delivery.jobId(), delivery.url(), delivery.attempt(), error);
                record = new ProducerRecord<>(config.topics().webhookDlq(), delivery.jobId(),
                        JobStateFold.JSON.writeValueAsBytes(dead));
                metrics.webhook("dead_lettered");
            } else {
                record = new ProducerRecord<>(config.topics().webhooks(), delivery.jobId(),
                        JobStateFold.JSON.writeValueAsBytes(delivery.next(now.plus(backoff), error)));
                metrics.webhook("retried");
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        // The record's offset is released only once its successor is safely on the broker.
        producer.send(record).whenComplete((ok, failure) -> {
            if (failure == null) {
                pending.done(tp, offset);
            } else {
                LOG.warnf("cannot re-queue webhook %s: %s; it is retried after a restart", delivery.webhookId(), failure);
            }
        });
    }

    /** initial x 2^(attempt-1), capped, with full jitter in [half, whole]. */
    Duration backoff(int attempt) {
        long base = config.webhooks().initialBackoff().toMillis() << Math.min(30, Math.max(0, attempt - 1));
        long capped = Math.min(base, config.webhooks().maxBackoff().toMillis());
        return Duration.ofMillis(capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1));
    }

    /** Offsets read but not finished, per partition: what may be committed. */
    static final class PendingOffsets {
        private final Map<TopicPartition, java.util.TreeSet<Long>> open = new HashMap<>();
        private final Map<TopicPartition, Long> highest = new HashMap<>();

        synchronized void add(TopicPartition tp, long offset) {
            open.computeIfAbsent(tp, k -> new java.util.TreeSet<>()).add(offset);
            highest.merge(tp, offset, Math::max);
        }

        synchronized void done(TopicPartition tp, long offset) {
            java.util.TreeSet<Long> set = open.get(tp);
            if (set != null) {
                set.remove(offset);
            }
        }

        synchronized int size() {
            return open.values().stream().mapToInt(java.util.Set::size).sum();
        }

        synchronized Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> committable(
                Collection<TopicPartition> partitions) {
            Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> out = new HashMap<>();
            for (TopicPartition tp : partitions) {
                Long high = highest.get(tp);
                if (high == null) {
                    continue;
                }
                java.util.TreeSet<Long> set = open.get(tp);
                long next = set == null || set.isEmpty() ? high + 1 : set.first();
                out.put(tp, new org.apache.kafka.clients.consumer.OffsetAndMetadata(next));
            }
            return out;
        }

        synchronized void forget(Collection<TopicPartition> partitions) {
            partitions.forEach(tp -> {
                open.remove(tp);
                highest.remove(tp);
            });
        }
    }
}
