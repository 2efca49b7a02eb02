package io.fluxfleet.worker.intake;

import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One job record as it was picked up: key and raw bytes, which attempt it is, and when it was
 * picked up (for queue wait and overhead metrics). The record's timestamp (its CreateTime) tells a
 * redelivery of this record (same attempt, same timestamp) from a new record of the same job (a replay).
 */
public record Delivery(String key, byte[] value, Attempt attempt, long pickupNanos, long queueWaitMs,
        long recordTimestampMs) {

    public static Delivery of(ConsumerRecord<String, byte[]> record, Attempt attempt) {
        return of(record.key(), record.value(), record.timestamp(), attempt);
    }

    public static Delivery of(String key, byte[] value, long recordTimestampMs, Attempt attempt) {
        long now = Instant.now().toEpochMilli();
        long queueWaitMs = recordTimestampMs > 0 ? Math.max(0, now - recordTimestampMs) : 0;
        return new Delivery(key, value, attempt, System.nanoTime(), queueWaitMs, recordTimestampMs);
    }

    public int attemptNumber() {
        return attempt.number();
    }
}
