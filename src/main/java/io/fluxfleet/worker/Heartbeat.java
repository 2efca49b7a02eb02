package io.fluxfleet.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fluxfleet.job.JobJson;
import io.fluxfleet.job.ModelDefinition;
import io.fluxfleet.worker.render.Slot;
import io.fluxfleet.worker.render.SlotPool;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Publishes this worker's state every {@code fluxfleet.heartbeat.interval} to a compacted topic keyed by
 * worker id: device, model, each slot's state and job, jobs done, last error, version. A graceful stop
 * sends a last beat marked {@code stopping}; a killed worker simply stops beating, and the console
 * shows it as lost.
 */
@ApplicationScoped
public class Heartbeat {

    private static final Logger LOG = Logger.getLogger(Heartbeat.class);
    private static final ObjectMapper JSON = JobJson.newMapper();

    /** One slot in a beat. */
    public record SlotBeat(int index, String device, String state, String currentJob, long jobsDone, String error) {
    }

    /** One beat, the value of the worker's record. */
    public record Beat(String workerId, String version, Instant at, long intervalMs, boolean stopping, String device,
            String model, List<SlotBeat> slots, long jobsDone, String lastError) {
    }

    @Inject
    HeartbeatConfig config;

    @Inject
    SlotPool pool;

    @Inject
    WorkerIdentity identity;

    @Inject
    KafkaClients kafka;

    @ConfigProperty(name = "quarkus.application.version", defaultValue = "unknown")
    String version;

    private ScheduledExecutorService timer;
    private KafkaProducer<String, byte[]> producer;

    void onStart(@Observes @Priority(50) StartupEvent event) {
        if (config.enabled()) {
            start();
        }
    }

    void onStop(@Observes @Priority(1) ShutdownEvent event) {
        stop();
    }

    private synchronized void start() {
        createTopic();
        producer = producer();
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fluxfleet-heartbeat");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(() -> publish(false), 0, config.interval().toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Stops beating, with a last beat that says the worker stops on purpose (a killed worker sends none:
     * its beats just stop, and the console shows it as lost).
     */
    private synchronized void stop() {
        if (timer == null) {
            return;
        }
        timer.shutdownNow();
        try {
            timer.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timer = null;
        publish(true);
        producer.close(Duration.ofSeconds(2));
        producer = null;
    }

    /** The beat as it stands now. */
    public Beat current(boolean stopping) {
        List<SlotBeat> slots = pool.slots().stream().map(Heartbeat::slotBeat).toList();
        ModelDefinition model = pool.served();
        String lastError = Optional.ofNullable(pool.modelError()).orElseGet(() -> pool.slots().stream()
                .map(Slot::error).filter(e -> e != null).reduce((a, b) -> b).orElse(null));
        return new Beat(identity.id(), version, Instant.now(), config.interval().toMillis(), stopping,
                slots.isEmpty() ? null : slots.get(0).device(), model == null ? null : model.name(),
                slots, slots.stream().mapToLong(SlotBeat::jobsDone).sum(), lastError);
    }

    private static SlotBeat slotBeat(Slot s) {
        return new SlotBeat(s.index(), s.device(), s.state().name().toLowerCase(), s.currentJob(), s.jobsDone(),
                s.error());
    }

    private void publish(boolean stopping) {
        try {
            byte[] value = JSON.writeValueAsBytes(current(stopping));
            var sent = producer.send(new ProducerRecord<>(config.topic(), identity.id(), value));
            if (stopping) {
                sent.get(2, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            // A missed beat is not a failure of the worker; the console shows it late or lost.
            LOG.debugf("heartbeat not sent: %s", e.toString());
        }
    }

    /**
     * Its own producer, not the worker's reliability producer: a beat is worthless when late, so it never
     * blocks long (a missing topic or a broker outage must not hold up a render's records or shutdown).
     */
    private KafkaProducer<String, byte[]> producer() {
        Map<String, Object> config = kafka.connection();
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        config.put(ProducerConfig.ACKS_CONFIG, "1");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 2_000);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "fluxfleet-heartbeat-" + identity.id());
        return new KafkaProducer<>(config);
    }

    private void createTopic() {
        try (Admin admin = kafka.admin()) {
            if (!admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(config.topic())) {
                admin.createTopics(List.of(new NewTopic(config.topic(), Optional.empty(), Optional.empty())
                        .configs(Map.of("cleanup.policy", "compact")))).all().get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            LOG.debugf("heartbeat topic %s: %s (another worker may have created it)", config.topic(), e.toString());
        }
    }
}
