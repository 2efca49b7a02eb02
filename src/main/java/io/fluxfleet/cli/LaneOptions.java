package io.fluxfleet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.fluxfleet.job.JobRequest;
import io.fluxfleet.job.KnownModels;
import io.fluxfleet.routing.JobTopics;
import io.fluxfleet.routing.LaneBounds;
import io.fluxfleet.routing.ModelCatalog;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where {@code fluxfleet submit} produces a job: the lane of its priority ({@code <topic>.high},
 * {@code <topic>}, {@code <topic>.low}), of its model's pool topic when a model catalog is given. The
 * bounds must be the fleet's ({@code fluxfleet.lanes.*}).
 */
final class LaneOptions {

    @Option(names = "--catalog", description = "The fleet's model catalog (YAML): produce to the job's model pool")
    Path catalog;

    @Option(names = "--high-from", defaultValue = "7", description = "Priorities from this one go to the high lane (default: ${DEFAULT-VALUE})")
    int highFrom;

    @Option(names = "--low-up-to", defaultValue = "2", description = "Priorities up to this one go to the low lane (default: ${DEFAULT-VALUE})")
    int lowUpTo;

    /** The topic of this request; an IllegalArgumentException names a model no pool of the catalog serves. */
    String topicOf(JsonNode request, String jobsTopic) throws IOException {
        ModelCatalog models = catalog == null ? ModelCatalog.NONE : ModelCatalog.load(catalog, jobsTopic);
        JobTopics topics = new JobTopics(jobsTopic, models, new LaneBounds(highFrom, lowUpTo));
        String name = request.path("model").asText(KnownModels.DEFAULT_NAME);
        int priority = request.path("priority").asInt(JobRequest.DEFAULT_PRIORITY);
        if (!KnownModels.isValidName(name)) {
            return topics.bounds().laneOf(priority).topicOf(jobsTopic); // not a model: the fleet rejects it, with its code
        }
        return topics.topicFor(name, priority).orElseThrow(() ->
                new IllegalArgumentException("no pool of the catalog " + catalog + " serves model '" + name + "'"));
    }
}
