package io.fluxfleet.worker.outcome;

import static io.fluxfleet.worker.RecordHeaders.H_ATTEMPT;
import static io.fluxfleet.worker.RecordHeaders.H_ERRORS;
import static io.fluxfleet.worker.RecordHeaders.H_FIRST_FAILURE;
import static io.fluxfleet.worker.RecordHeaders.H_MESSAGE;
import static io.fluxfleet.worker.RecordHeaders.H_NOT_BEFORE;
import static io.fluxfleet.worker.RecordHeaders.H_REASON;
import static io.fluxfleet.worker.RecordHeaders.H_REQUEST;
import static io.fluxfleet.worker.RecordHeaders.H_WORKER;

import io.fluxfleet.worker.FleetConfig;
import io.fluxfleet.worker.KafkaClients;
import io.fluxfleet.worker.WorkerIdentity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;

/** Writes to the retry and the dead-letter topics (headers: docs/reliability.md). */
@ApplicationScoped
public class RetryTopics {

    @Inject
    FleetConfig config;

    @Inject
    KafkaClients kafka;

    @Inject
    WorkerIdentity identity;

    /** What a retry record carries besides the original request bytes. */
    public record Retry(int nextAttempt, Instant firstFailure, Instant notBefore, String errorsJson) {
    }

    /** What a dead-letter record carries: the terminal failed event as value, the request and reasons as headers. */
    public record DeadLetter(byte[] failedEvent, byte[] request, int attemptsMade, Instant firstFailure, String reason,
            String message, String errorsJson) {
    }

    public void sendRetry(String key, byte[] value, Retry retry) {
        ProducerRecord<String, byte[]> r = new ProducerRecord<>(config.topics().retry(), key, value);
        r.headers().add(new RecordHeader(H_ATTEMPT, bytes(Integer.toString(retry.nextAttempt()))));
        r.headers().add(new RecordHeader(H_FIRST_FAILURE, bytes(retry.firstFailure().toString())));
        r.headers().add(new RecordHeader(H_NOT_BEFORE, bytes(Long.toString(retry.notBefore().toEpochMilli()))));
        r.headers().add(new RecordHeader(H_ERRORS, bytes(retry.errorsJson())));
        r.headers().add(new RecordHeader(H_WORKER, bytes(identity.id())));
        send(r);
    }

    public void sendDeadLetter(String key, DeadLetter dead) {
        ProducerRecord<String, byte[]> r = new ProducerRecord<>(config.topics().dlq(), key, dead.failedEvent());
        if (dead.request() != null) {
            r.headers().add(new RecordHeader(H_REQUEST, dead.request()));
        }
        r.headers().add(new RecordHeader(H_ATTEMPT, bytes(Integer.toString(dead.attemptsMade()))));
        r.headers().add(new RecordHeader(H_FIRST_FAILURE, bytes(dead.firstFailure().toString())));
        r.headers().add(new RecordHeader(H_REASON, bytes(dead.reason())));
        r.headers().add(new RecordHeader(H_MESSAGE, bytes(dead.message())));
        r.headers().add(new RecordHeader(H_ERRORS, bytes(dead.errorsJson())));
        r.headers().add(new RecordHeader(H_WORKER, bytes(identity.id())));
        send(r);
    }

    private void send(ProducerRecord<String, byte[]> record) {
        try {
            kafka.producer().send(record).get(config.render().publishTimeout().toMillis() * 4, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted sending to " + record.topic(), e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot send to " + record.topic() + ": " + e, e);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
