package io.fluxfleet.gateway;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-tenant token buckets (bucket4j) for submits and cancels, and the per-tenant cap on jobs in
 * flight. Buckets are per replica: N replicas admit up to N times the rate (docs/gateway.md).
 */
@ApplicationScoped
public class RateLimits {

    @Inject
    GatewayConfig config;

    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    /** Takes a token; empty when allowed, else how long until the next token. */
    public java.util.Optional<Duration> acquire(String tenant) {
        Bucket bucket = buckets.computeIfAbsent(tenant, this::newBucket);
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
        if (probe.isConsumed()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(Duration.ofNanos(probe.getNanosToWaitForRefill()));
    }

    public int maxInFlight(String tenant) {
        var override = config.limits().tenantOverrides().get(tenant);
        return override != null ? override.maxInFlight().orElse(config.limits().maxInFlight())
                : config.limits().maxInFlight();
    }

    private Bucket newBucket(String tenant) {
        GatewayConfig.Limits limits = config.limits();
        var override = limits.tenantOverrides().get(tenant);
        double rate = override != null ? override.requestsPerSecond().orElse(limits.requestsPerSecond())
                : limits.requestsPerSecond();
        long burst = override != null ? override.burst().orElse(limits.burst()) : limits.burst();
        // Refill one token every 1/rate seconds, greedily; capacity = burst.
        long nanosPerToken = Math.max(1, (long) (1_000_000_000L / rate));
        Bandwidth bandwidth = Bandwidth.builder().capacity(burst)
                .refillGreedy(1, Duration.ofNanos(nanosPerToken)).build();
        return Bucket.builder().addLimit(bandwidth).build();
    }
}
