package io.fluxfleet.router;

import io.fluxfleet.job.JobValidator;
import io.fluxfleet.routing.JobTopics;
import io.fluxfleet.worker.FleetConfig;
import io.fluxfleet.worker.FleetMetrics;
import io.fluxfleet.worker.KafkaClients;
import io.fluxfleet.worker.TenantSetup;
import io.fluxfleet.worker.intake.Attempt;
import io.fluxfleet.worker.intake.Delivery;
import io.fluxfleet.worker.outcome.Outcomes;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * The router: reads the common topic's three lanes (group {@code fluxfleet-router}) and produces each
 * job to its model pool's lane topic, or rejects it (failed event and dead letter, as a worker would).
 *
 * <p>At-least-once: the source record is committed only after the pool topic acknowledged the copy
 * (acks=all, idempotent producer), so a router that dies in between forwards the record again. The
 * copy carries the same jobId key, and a worker answers a second delivery of a jobId from the first
 * one's stored result (docs/reliability.md), so a duplicate costs a lookup, not a render. Kafka
 * transactions (exactly-once) would need every worker to read with read_committed and add a commit
 * interval of latency to every job, for no difference a backend can see.
 */
@ApplicationScoped
public class JobRouter {

    private static final Logger LOG = Logger.getLogger(JobRouter.class);

    @Inject
    FleetConfig config;

    @Inject
    JobTopics topics;

    @Inject
    KafkaClients kafka;

    @Inject
    Outcomes outcomes;

    @Inject
    FleetMetrics metrics;

    private RouteDecider decider;

    @PostConstruct
    void init() {
        if (!topics.routesByModel()) {
            throw new IllegalStateException("the router needs a model catalog (fluxfleet.catalog.file): without one"
                    + " every job's pool is the common topic " + topics.common() + " it reads");
        }
        decider = new RouteDecider(new JobValidator(TenantSetup.fleetLimits(config), config.lora().toValidatorLimits())
                .withModels(topics.catalog().models()), topics);
    }

    @Incoming("routed-jobs")
    @Blocking(ordered = true)
    public void route(ConsumerRecord<String, byte[]> record) throws InterruptedException {
        Route route = decider.decide(record.value());
        if (route instanceof Route.Forward forward) {
            forward(record, forward);
        } else {
            outcomes.failed(Delivery.of(record, Attempt.FIRST), null, ((Route.Reject) route).failure());
            metrics.routed("rejected", "none");
        }
    }

    /** The record's value and headers, unchanged, to the pool's lane; returns once the broker acknowledged it. */
    private void forward(ConsumerRecord<String, byte[]> record, Route.Forward forward) throws InterruptedException {
        ProducerRecord<String, byte[]> copy = new ProducerRecord<>(forward.topic(), null, forward.jobId(),
                record.value(), record.headers());
        try {
            kafka.producer().send(copy).get(config.render().publishTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // Not committed: the channel stops (failure-strategy fail), the pod restarts and forwards it again.
            throw new IllegalStateException("job " + forward.jobId() + ": forwarding to " + forward.topic()
                    + " failed: " + e, e);
        }
        metrics.routed("forwarded", forward.topic());
        LOG.debugf("job %s -> %s", forward.jobId(), forward.topic());
    }
}
