package io.fluxfleet.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobJson;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Completed renders of the last {@code fluxfleet.console.window} (from the events topic): throughput and
 * p50/p95 render time per preset, in buckets, for the fleet page's charts.
 */
@ApplicationScoped
public class RenderStats {

    static final int BUCKETS = 12;
    private static final ObjectMapper JSON = JobJson.newMapper();

    /** One completed render: when, which preset, how long the worker spent on it (everything but the queue). */
    record Render(Instant at, String preset, long renderMs) {
    }

    /**
     * The charts' data: bucket labels (start times), and per preset jobs per minute, p50 and p95 render ms per
     * bucket (null where a bucket has no render).
     */
    public record Series(List<String> buckets, Map<String, List<Double>> perMinute, Map<String, List<Long>> p50,
            Map<String, List<Long>> p95, int renders) {
    }

    @Inject
    ConsoleConfig config;

    private final Deque<Render> renders = new ArrayDeque<>();

    void read(ConsumerRecord<String, byte[]> r) {
        if (r.value() == null) {
            return;
        }
        JsonNode event = readTree(r.value());
        if (!JobEvent.COMPLETED.equals(event.path("type").asText())) {
            return;
        }
        JsonNode t = event.path("timings");
        long renderMs = t.path("textEncodeMs").asLong() + t.path("denoiseMs").asLong() + t.path("decodeMs").asLong()
                + t.path("encodeMs").asLong() + t.path("uploadMs").asLong();
        Instant at = event.hasNonNull("timestamp") ? Instant.parse(event.path("timestamp").asText())
                : Instant.ofEpochMilli(r.timestamp());
        synchronized (renders) {
            renders.addLast(new Render(at, event.path("acceleration").asText("none"), renderMs));
            if (renders.size() % 1024 == 0) {
                prune(Instant.now());
            }
        }
    }

    public Series series(Instant now) {
        List<Render> copy;
        synchronized (renders) {
            prune(now);
            copy = new ArrayList<>(renders);
        }
        Duration width = config.window().dividedBy(BUCKETS);
        Instant start = now.minus(config.window());
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < BUCKETS; i++) {
            labels.add(start.plus(width.multipliedBy(i)).toString());
        }
        TreeSet<String> presets = new TreeSet<>();
        copy.forEach(r -> presets.add(r.preset()));
        Map<String, List<Double>> perMinute = new LinkedHashMap<>();
        Map<String, List<Long>> p50 = new LinkedHashMap<>();
        Map<String, List<Long>> p95 = new LinkedHashMap<>();
        double minutes = width.toMillis() / 60_000.0;
        for (String preset : presets) {
            List<Double> rate = new ArrayList<>();
            List<Long> median = new ArrayList<>();
            List<Long> tail = new ArrayList<>();
            for (int i = 0; i < BUCKETS; i++) {
                Instant from = start.plus(width.multipliedBy(i));
                Instant to = from.plus(width);
                long[] ms = copy.stream().filter(r -> r.preset().equals(preset) && !r.at().isBefore(from)
                        && r.at().isBefore(to)).mapToLong(Render::renderMs).sorted().toArray();
                rate.add(ms.length / minutes);
                median.add(percentile(ms, 0.50));
                tail.add(percentile(ms, 0.95));
            }
            perMinute.put(preset, rate);
            p50.put(preset, median);
            p95.put(preset, tail);
        }
        return new Series(labels, perMinute, p50, p95, copy.size());
    }

    /** Nearest-rank percentile of sorted values; null when there are none. */
    static Long percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return null;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    /** Drops renders older than the window (events of several partitions arrive out of time order). */
    private void prune(Instant now) {
        Instant oldest = now.minus(config.window());
        renders.removeIf(r -> r.at().isBefore(oldest));
    }

    private static JsonNode readTree(byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (java.io.IOException e) {
            return JSON.createObjectNode();
        }
    }
}
