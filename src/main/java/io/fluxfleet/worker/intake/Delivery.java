package io.fluxfleet.worker.intake;

import io.fluxfleet.worker.RecordHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * One job record as it was picked up: key and raw bytes, which attempt it is, and when it was
 * picked up (for queue wait and overhead metrics). The record's timestamp (its CreateTime) tells a
 * redelivery of this record (same attempt, same timestamp) from a new record of the same job (a replay).
 * {@code replayedAt} is the console's replay header, null on a record nobody replayed.
 */
public record Delivery(String key, byte[] value, Attempt attempt, long pickupNanos, long queueWaitMs,
        long recordTimestampMs, String replayedAt) {

    public static Delivery of(ConsumerRecord<String, byte[]> record, Attempt attempt) {
        Header replayed = record.headers().lastHeader(RecordHeaders.H_REPLAYED_AT);
        String replayedAt = replayed == null || replayed.value() == null ? null
                : new String(replayed.value(), StandardCharsets.UTF_8);
        return of(record.key(), record.value(), record.timestamp(), attempt, replayedAt);
    }

    public static Delivery of(String key, byte[] value, long recordTimestampMs, Attempt attempt) {
        return of(key, value, recordTimestampMs, attempt, null);
    }

    private static Delivery of(String key, byte[] value, long recordTimestampMs, Attempt attempt, String replayedAt) {
        long now = Instant.now().toEpochMilli();
        long queueWaitMs = recordTimestampMs > 0 ? Math.max(0, now - recordTimestampMs) : 0;
        return new Delivery(key, value, attempt, System.nanoTime(), queueWaitMs, recordTimestampMs, replayedAt);
    }

    public int attemptNumber() {
        return attempt.number();
    }
}
