package io.fluxfleet.worker.outcome;

import io.fluxfleet.worker.WorkerIdentity;

import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobJson;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.ce.OutgoingCloudEventMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.ZoneOffset;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;

/**
 * Publishes lifecycle events on the events channel: Kafka key = jobId, value = the event JSON of
 * {@link JobJson}, CloudEvents attributes (binary mode, {@code ce_*} headers): type
 * {@code io.fluxfleet.job.*}, source {@code /fluxfleet/worker/<workerId>}, a deterministic id
 * ({@link #cloudEventId}), subject jobId.
 */
@ApplicationScoped
public class EventPublisher {

    @Inject
    @Channel("events")
    MutinyEmitter<byte[]> emitter;

    @Inject
    WorkerIdentity identity;

    /**
     * Sends one event; the Uni completes when the broker acknowledged it.
     *
     * @param key the Kafka key: the event's jobId, or the job record's key when the jobId is unknown
     */
    public Uni<Void> publish(JobEvent event, String key) {
        OutgoingCloudEventMetadata<Object> cloudEvent = OutgoingCloudEventMetadata.builder()
                .withId(cloudEventId(event, key))
                .withType(event.cloudEventType())
                .withSource(URI.create(JobEvent.source(identity.id())))
                .withSubject(key)
                .withTimestamp(event.timestamp().atZone(ZoneOffset.UTC))
                .withDataContentType("application/json")
                .build();
        OutgoingKafkaRecordMetadata<String> kafka = OutgoingKafkaRecordMetadata.<String>builder().withKey(key).build();
        Message<byte[]> message = Message.of(JobJson.writeEvent(event), Metadata.of(cloudEvent, kafka));
        return emitter.sendMessage(message);
    }

    /**
     * The CloudEvents id: the same for every publication of the same event, so that a consumer can
     * drop redelivered copies by id. {@code <jobId>/<type>/<attempt>}, and {@code /<step>} for progress
     * (jobId is the record key when the request had none). Unique across the fleet, whatever the source.
     */
    public static String cloudEventId(JobEvent event, String key) {
        String jobId = event.jobId() != null ? event.jobId() : key;
        String id = jobId + "/" + event.cloudEventType() + "/" + event.attempt();
        return event instanceof JobEvent.Progress p ? id + "/" + p.step() : id;
    }

    /** Sends without waiting (progress): the producer keeps per-partition order, so it still precedes the terminal event. */
    public void publishAndForget(JobEvent event, String key) {
        publish(event, key).subscribe().with(ok -> { }, failure ->
                org.jboss.logging.Logger.getLogger(EventPublisher.class)
                        .warnf("could not publish %s for %s: %s", event.cloudEventType(), key, failure.toString()));
    }
}
