package io.fluxfleet.gateway;

import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The gateway's producer: acks=all and idempotence, so a record whose send returned is on the
 * in-sync replicas and a retried send is not stored twice. Callers wait for the ack.
 */
@ApplicationScoped
public class GatewayProducer {

    @Inject
    KafkaClients kafka;

    @Inject
    GatewayConfig config;

    private volatile KafkaProducer<String, byte[]> producer;

    private KafkaProducer<String, byte[]> producer() {
        KafkaProducer<String, byte[]> p = producer;
        if (p == null) {
            synchronized (this) {
                if (producer == null) {
                    producer = new KafkaProducer<>(kafka.config(Map.of(
                            ProducerConfig.ACKS_CONFIG, "all",
                            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                            ProducerConfig.LINGER_MS_CONFIG, 1,
                            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName())));
                }
                p = producer;
            }
        }
        return p;
    }

    /** Sends and waits for the broker's ack; 503 (GatewayUnavailableException) when it does not come in time. */
    public RecordMetadata sendAndAwait(ProducerRecord<String, byte[]> record) {
        Duration timeout = config.submit().ackTimeout();
        try {
            return producer().send(record).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GatewayUnavailableException("interrupted while waiting for Kafka", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new GatewayUnavailableException("Kafka did not acknowledge the record within " + timeout + ": "
                    + (e.getCause() != null ? e.getCause() : e), e);
        }
    }

    /** Sends without blocking; the future completes with the broker's ack. */
    public java.util.concurrent.CompletableFuture<RecordMetadata> send(ProducerRecord<String, byte[]> record) {
        java.util.concurrent.CompletableFuture<RecordMetadata> done = new java.util.concurrent.CompletableFuture<>();
        producer().send(record, (metadata, failure) -> {
            if (failure != null) {
                done.completeExceptionally(failure);
            } else {
                done.complete(metadata);
            }
        });
        return done;
    }

    void onStop(@Observes ShutdownEvent event) {
        if (producer != null) {
            producer.close(Duration.ofSeconds(10));
        }
    }
}
