package io.fluxfleet.worker;

import io.fluxfleet.job.JobEvent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * Submits jobs (256x256, 24 steps: a few seconds each on the tiny model) while a fleet changes, keeping
 * {@code backlog} of them submitted and not completed, so renders are in flight at every moment however
 * fast the machine renders; {@link #finish} stops it and says which jobs it submitted.
 */
final class JobFeeder extends Thread {

    private final String bootstrap;
    private final String topic;
    private final int backlog;
    private final List<ConsumerRecord<String, byte[]>> events;
    private final List<String> jobIds = new CopyOnWriteArrayList<>();
    private volatile boolean feeding = true;
    private volatile Exception failure;

    /** {@code events}: the events topic as read so far (a live list), to see which jobs completed. */
    JobFeeder(String bootstrap, String topic, int backlog, List<ConsumerRecord<String, byte[]>> events) {
        super("job-feeder");
        this.bootstrap = bootstrap;
        this.topic = topic;
        this.backlog = backlog;
        this.events = events;
    }

    @Override
    public void run() {
        try (KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            while (feeding) {
                long completed = events.stream().filter(r -> r.key() != null
                        && new String(r.value(), StandardCharsets.UTF_8).contains(JobEvent.COMPLETED))
                        .map(ConsumerRecord::key).distinct().count();
                if (jobIds.size() - completed < backlog) {
                    String jobId = "feed-" + jobIds.size() + "-" + System.nanoTime() % 100000;
                    KafkaTestClients.send(producer, topic, jobId, """
                            {"jobId": "%s", "prompt": "while the fleet changes %d", "width": 256, "height": 256,
                             "steps": 24, "acceleration": "none"}""".formatted(jobId, jobIds.size()));
                    jobIds.add(jobId);
                } else {
                    Thread.sleep(200);
                }
            }
        } catch (Exception e) {
            failure = e;
        }
    }

    List<String> finish() throws Exception {
        feeding = false;
        join(30_000);
        if (failure != null) {
            throw failure;
        }
        return List.copyOf(jobIds);
    }
}
