package io.fluxfleet.worker;

import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.jboss.logging.Logger;

/** Creates the reliability topics (retry, DLQ, control, compacted attempts) when they do not exist. */
@ApplicationScoped
public class TopicSetup {

    private static final Logger LOG = Logger.getLogger(TopicSetup.class);

    @Inject
    FleetConfig config;

    @Inject
    KafkaClients kafka;

    void onStart(@Observes @Priority(5) StartupEvent event) {
        try (Admin admin = kafka.admin()) {
            var existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> wanted = new ArrayList<>();
            for (String t : List.of(config.topics().retry(), config.topics().dlq(), config.topics().control())) {
                if (!existing.contains(t)) {
                    wanted.add(new NewTopic(t, Optional.empty(), Optional.empty()));
                }
            }
            if (!existing.contains(config.topics().attempts())) {
                wanted.add(new NewTopic(config.topics().attempts(), Optional.empty(), Optional.empty())
                        .configs(Map.of("cleanup.policy", "compact")));
            }
            if (!wanted.isEmpty()) {
                try {
                    admin.createTopics(wanted).all().get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    LOG.debugf("creating topics: %s", e.toString()); // another worker created them first
                }
            }
        } catch (Exception e) {
            LOG.warnf("could not check/create the reliability topics (they may be auto-created): %s", e.toString());
        }
    }
}
