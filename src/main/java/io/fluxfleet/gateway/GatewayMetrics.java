package io.fluxfleet.gateway;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The gateway role's Micrometer meters (Prometheus at /q/metrics, beside the worker's):
 * <ul>
 *   <li>{@code fluxfleet_gateway_submits_total{tenant, outcome}}: POST /v1/jobs by outcome:
 *       {@code accepted} (202), {@code repeated} (200), else the error code (JOB_ID_CONFLICT,
 *       INVALID_SIZE, RATE_LIMITED, TOO_MANY_IN_FLIGHT, ...);</li>
 *   <li>{@code fluxfleet_gateway_refusals_total{tenant, reason}}: 429s (RATE_LIMITED, TOO_MANY_IN_FLIGHT);</li>
 *   <li>{@code fluxfleet_gateway_sse_streams}: SSE streams open on this replica;</li>
 *   <li>{@code fluxfleet_gateway_webhook_deliveries_total{outcome=delivered|retried|dead_lettered}};</li>
 *   <li>{@code fluxfleet_gateway_state_fold_lag_seconds}: from a record's Kafka timestamp to its fold
 *       into the job state (histogram), and {@code fluxfleet_gateway_state_lag_records}: records the
 *       topology (fold and global tables) has not read yet.</li>
 * </ul>
 */
@ApplicationScoped
public class GatewayMetrics {

    @Inject
    MeterRegistry registry;

    @Inject
    EventFeed feed;

    @Inject
    JobStateStore states;

    private Timer foldLag;

    @PostConstruct
    void init() {
        Gauge.builder("fluxfleet.gateway.sse.streams", feed, EventFeed::streams)
                .description("SSE streams open on this replica").register(registry);
        Gauge.builder("fluxfleet.gateway.state.lag.records", states, JobStateStore::lagRecords)
                .description("Records of the jobs, events, state and index topics the job-state topology has not read yet")
                .register(registry);
        foldLag = Timer.builder("fluxfleet.gateway.state.fold.lag")
                .description("From a job or event record's Kafka timestamp to its fold into the job state")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(10)).register(registry);
    }

    public void submit(String tenant, String outcome) {
        registry.counter("fluxfleet.gateway.submits", "tenant", tenant, "outcome", outcome).increment();
    }

    public void refused(String tenant, String reason) {
        registry.counter("fluxfleet.gateway.refusals", "tenant", tenant, "reason", reason).increment();
    }

    public void webhook(String outcome) {
        registry.counter("fluxfleet.gateway.webhook.deliveries", "outcome", outcome).increment();
    }

    public void folded(long lagMs) {
        foldLag.record(Math.max(0, lagMs), TimeUnit.MILLISECONDS);
    }
}
