package io.fluxfleet.worker.outcome;

import static io.fluxfleet.worker.RecordHeaders.H_ATTEMPT;
import static io.fluxfleet.worker.RecordHeaders.H_ERRORS;
import static io.fluxfleet.worker.RecordHeaders.H_FIRST_FAILURE;
import static io.fluxfleet.worker.RecordHeaders.H_MESSAGE;
import static io.fluxfleet.worker.RecordHeaders.H_NOT_BEFORE;
import static io.fluxfleet.worker.RecordHeaders.H_REASON;
import static io.fluxfleet.worker.RecordHeaders.H_REQUEST;
import static io.fluxfleet.worker.RecordHeaders.H_REQUEST_BYTES;
import static io.fluxfleet.worker.RecordHeaders.H_REQUEST_TRUNCATED;
import static io.fluxfleet.worker.RecordHeaders.H_WORKER;

import io.fluxfleet.worker.FleetConfig;
import io.fluxfleet.worker.KafkaClients;
import io.fluxfleet.worker.WorkerIdentity;
import io.fluxfleet.worker.intake.IntakeGate;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.jboss.logging.Logger;

/** Writes to the retry and the dead-letter topics (headers: docs/reliability.md). */
@ApplicationScoped
public class RetryTopics {

    @Inject
    FleetConfig config;

    @Inject
    KafkaClients kafka;

    @Inject
    WorkerIdentity identity;

    @Inject
    IntakeGate gate;

    private static final Logger LOG = Logger.getLogger(RetryTopics.class);

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
        r.headers().add(new RecordHeader(H_ERRORS, BoundedHeaders.cut(retry.errorsJson(), BoundedHeaders.ERRORS_BYTES)));
        r.headers().add(new RecordHeader(H_WORKER, bytes(identity.id())));
        send(r);
    }

    public void sendDeadLetter(String key, DeadLetter dead) {
        ProducerRecord<String, byte[]> r = new ProducerRecord<>(config.topics().dlq(), key, dead.failedEvent());
        if (dead.request() != null) {
            byte[] copy = BoundedHeaders.cut(dead.request(), BoundedHeaders.REQUEST_COPY_BYTES);
            r.headers().add(new RecordHeader(H_REQUEST, copy));
            r.headers().add(new RecordHeader(H_REQUEST_BYTES, bytes(Integer.toString(dead.request().length))));
            if (copy.length < dead.request().length) {
                r.headers().add(new RecordHeader(H_REQUEST_TRUNCATED, bytes("true")));
            }
        }
        r.headers().add(new RecordHeader(H_ATTEMPT, bytes(Integer.toString(dead.attemptsMade()))));
        r.headers().add(new RecordHeader(H_FIRST_FAILURE, bytes(dead.firstFailure().toString())));
        r.headers().add(new RecordHeader(H_REASON, bytes(dead.reason())));
        r.headers().add(new RecordHeader(H_MESSAGE, BoundedHeaders.cut(dead.message(), BoundedHeaders.MESSAGE_BYTES)));
        r.headers().add(new RecordHeader(H_ERRORS, BoundedHeaders.cut(dead.errorsJson(), BoundedHeaders.ERRORS_BYTES)));
        r.headers().add(new RecordHeader(H_WORKER, bytes(identity.id())));
        send(r);
    }

    /**
     * Sends and waits for the broker. Like the terminal event (Outcomes), a record the broker does not
     * take is sent again while the worker runs (an outage is not a reason to fail-stop); while it stops,
     * the failure propagates after four publish timeouts.
     */
    private void send(ProducerRecord<String, byte[]> record) {
        long giveUpWhileStopping = System.nanoTime() + config.render().publishTimeout().multipliedBy(4).toNanos();
        while (true) {
            try {
                kafka.producer().send(record).get(config.render().publishTimeout().toMillis(), TimeUnit.MILLISECONDS);
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted sending to " + record.topic(), e);
            } catch (Exception e) {
                if (gate.stopped() && System.nanoTime() > giveUpWhileStopping) {
                    throw new IllegalStateException("cannot send to " + record.topic() + ": " + e, e);
                }
                LOG.warnf("sending %s to %s failed, again in 2 s: %s", record.key(), record.topic(), e.toString());
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted sending to " + record.topic(), ie);
                }
            }
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
