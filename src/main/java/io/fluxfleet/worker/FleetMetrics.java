package io.fluxfleet.worker;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.fluxfleet.worker.render.SlotPool;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The worker's Micrometer meters (Prometheus at /q/metrics):
 * <ul>
 *   <li>{@code fluxfleet_jobs_total{outcome=completed|failed|rejected, code}}: jobs by outcome;</li>
 *   <li>{@code fluxfleet_render_seconds{acceleration}}: engine render time (text encoding, denoising,
 *       decoding) histogram by preset;</li>
 *   <li>{@code fluxfleet_queue_wait_seconds}: from the Kafka record's timestamp to pickup;</li>
 *   <li>{@code fluxfleet_job_overhead_seconds}: everything a job costs besides the render (validate,
 *       events, encode, upload), per job;</li>
 *   <li>{@code fluxfleet_steps_per_second}, {@code fluxfleet_token_evaluations_total},
 *       {@code fluxfleet_flops_saved_fraction}, {@code fluxfleet_engine_renders_total} (renders
 *       the engine started for jobs; warm-ups excluded), {@code fluxfleet_slots_busy};</li>
 *   <li>{@code fluxfleet_duplicate_renders_total} (a render whose result another render of the job had
 *       already stored, e.g. after a rebalance; never counted as a crash),
 *       {@code fluxfleet_duplicate_deliveries_total} (answered from the sidecar),
 *       {@code fluxfleet_publish_retries_total} (terminal events re-published after a broker blip),
 *       {@code fluxfleet_progress_dropped_total} (progress events not sent while too many were
 *       unacknowledged: best effort);</li>
 *   <li>{@code fluxfleet_lane_starts_total{lane}} (jobs of a priority lane that got a render turn),
 *       {@code fluxfleet_lane_waiting{lane}} (records in hand waiting for one);</li>
 *   <li>the router role: {@code fluxfleet_router_jobs_total{outcome=forwarded|rejected, topic}}.</li>
 * </ul>
 */
@ApplicationScoped
public class FleetMetrics {

    @Inject
    MeterRegistry registry;

    @Inject
    SlotPool slots;

    private Counter engineRenders;
    private Counter duplicateRenders;
    private Counter duplicateDeliveries;
    private Counter publishRetries;
    private Counter progressDropped;
    private Counter tokenEvaluations;
    private Timer queueWait;
    private Timer overhead;
    private DistributionSummary stepsPerSecond;
    private DistributionSummary flopsSaved;

    @PostConstruct
    void init() {
        engineRenders = Counter.builder("fluxfleet.engine.renders")
                .description("Renders the engine started for jobs (warm-ups excluded)").register(registry);
        duplicateRenders = Counter.builder("fluxfleet.duplicate.renders")
                .description("Renders of a job whose result another render had already stored (not crashes)")
                .register(registry);
        duplicateDeliveries = Counter.builder("fluxfleet.duplicate.deliveries")
                .description("Deliveries of a job already handled: completed (answered from its sidecar) or sent to"
                        + " the retry topic or the dead letters (acknowledged), without rendering")
                .register(registry);
        publishRetries = Counter.builder("fluxfleet.publish.retries")
                .description("Terminal-event publishes repeated in place after a timeout or broker error")
                .register(registry);
        progressDropped = Counter.builder("fluxfleet.progress.dropped")
                .description("Progress events dropped because too many were unacknowledged (broker slow or away)")
                .register(registry);
        tokenEvaluations = Counter.builder("fluxfleet.token.evaluations")
                .description("Image tokens sent through the transformer").register(registry);
        queueWait = Timer.builder("fluxfleet.queue.wait")
                .description("From the job record's Kafka timestamp to pickup by a worker")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofHours(1)).register(registry);
        overhead = Timer.builder("fluxfleet.job.overhead")
                .description("Per job, the fleet's own time: validate, events, encode, upload (render excluded)")
                .publishPercentiles(0.5, 0.99).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
        stepsPerSecond = DistributionSummary.builder("fluxfleet.steps.per.second")
                .description("Denoising steps per second of each render").register(registry);
        flopsSaved = DistributionSummary.builder("fluxfleet.flops.saved.fraction")
                .description("Transformer FLOPs saved vs 50 full steps, per job").register(registry);
        Gauge.builder("fluxfleet.slots.busy", slots, SlotPool::busySlots)
                .description("Slots rendering a job").register(registry);
        Gauge.builder("fluxfleet.slots", slots, s -> s.slots().size())
                .description("Configured device slots").register(registry);
    }

    /** A job of this priority lane got a render turn. */
    public void laneStarted(String lane) {
        registry.counter("fluxfleet.lane.starts", "lane", lane).increment();
    }

    /** Records of this lane in hand, waiting for a render turn. */
    public <T> void laneWaiting(String lane, T source, java.util.function.ToDoubleFunction<T> waiting) {
        Gauge.builder("fluxfleet.lane.waiting", source, waiting).tag("lane", lane)
                .description("Job records of this lane in hand, waiting for a render turn").register(registry);
    }

    /** The router forwarded a job to a pool's lane topic, or rejected it (topic "none"). */
    public void routed(String outcome, String topic) {
        registry.counter("fluxfleet.router.jobs", "outcome", outcome, "topic", topic).increment();
    }

    public void job(String outcome, String code) {
        registry.counter("fluxfleet.jobs", "outcome", outcome, "code", code).increment();
    }

    public void duplicateRender() {
        duplicateRenders.increment();
    }

    public long duplicateRenders() {
        return (long) duplicateRenders.count();
    }

    public void duplicateDelivery() {
        duplicateDeliveries.increment();
    }

    public void publishRetried() {
        publishRetries.increment();
    }

    public long publishRetries() {
        return (long) publishRetries.count();
    }

    public void droppedProgress() {
        progressDropped.increment();
    }

    public long progressDropped() {
        return (long) progressDropped.count();
    }

    public void engineRenderStarted() {
        engineRenders.increment();
    }

    /** Renders the engine started for jobs since startup (warm-ups excluded). */
    public long duplicateDeliveries() {
        return (long) duplicateDeliveries.count();
    }

    public long engineRenders() {
        return (long) engineRenders.count();
    }

    public void rendered(String acceleration, long renderNanos, int steps, long denoiseMs, long evaluations,
            double flopsSavedFraction) {
        Timer.builder("fluxfleet.render").description("Engine render time (text encoding, denoising, decoding)")
                .tag("acceleration", acceleration).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(10)).maximumExpectedValue(Duration.ofHours(1))
                .register(registry).record(renderNanos, TimeUnit.NANOSECONDS);
        if (denoiseMs > 0) {
            stepsPerSecond.record(steps * 1000.0 / denoiseMs);
        }
        tokenEvaluations.increment(evaluations);
        flopsSaved.record(flopsSavedFraction);
    }

    public void queueWait(long millis) {
        queueWait.record(millis, TimeUnit.MILLISECONDS);
    }

    public void overhead(long nanos) {
        overhead.record(nanos, TimeUnit.NANOSECONDS);
    }
}
