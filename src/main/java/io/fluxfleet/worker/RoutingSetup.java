package io.fluxfleet.worker;

import io.fluxfleet.routing.JobTopics;
import io.fluxfleet.routing.ModelCatalog;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The fleet's job topics for every role (worker, gateway, router): the common topic, the model catalog
 * and the lane bounds, checked once so that no lane can be another topic of the fleet.
 */
@ApplicationScoped
public class RoutingSetup {

    @Produces
    @ApplicationScoped
    JobTopics jobTopics(FleetConfig config) {
        ModelCatalog catalog = config.catalog().file().map(file -> {
            try {
                return ModelCatalog.load(file, config.catalog().topicPrefix());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the model catalog " + file + " (fluxfleet.catalog.file)", e);
            }
        }).orElse(ModelCatalog.NONE);
        JobTopics topics = new JobTopics(config.topics().jobs(), catalog, config.lanes().bounds());
        FleetConfig.Topics t = config.topics();
        topics.checkDistinct(List.of(t.retry(), t.dlq(), t.events(), t.control(), t.attempts()));
        return topics;
    }

    /**
     * The pool this worker is: without a catalog, the common topic's; with one, a catalog model's
     * topic, whose directory (when the catalog names one) is the worker's model directory.
     */
    static void verifyPool(FleetConfig config, JobTopics topics) {
        String pool = config.pool().topic();
        if (!topics.routesByModel()) {
            if (!pool.equals(topics.common())) {
                throw new IllegalStateException("fluxfleet.pool.topic " + pool + " differs from fluxfleet.topics.jobs "
                        + topics.common() + " but there is no model catalog (fluxfleet.catalog.file) routing jobs to it");
            }
            return;
        }
        ModelCatalog.Entry entry = topics.catalog().entryForTopic(pool).orElseThrow(() -> new IllegalStateException("fluxfleet.pool.topic " + pool + " is no model's topic in"
                        + " the catalog " + topics.catalog().entries().stream().map(e -> e.name() + "="
                        + e.topic()).toList() + ": set FLUXFLEET_POOL_TOPIC to the topic of the model this pool serves"));
        entry.dir().filter(dir -> !dir.equals(config.modelDir())).ifPresent(dir -> {
            throw new IllegalStateException("pool " + pool + " serves model " + entry.name() + " from "
                    + dir + " (model catalog) but fluxfleet.model-dir is " + config.modelDir());
        });
    }
}
