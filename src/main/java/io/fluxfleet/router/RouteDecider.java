package io.fluxfleet.router;

import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.job.JobRequest;
import io.fluxfleet.job.JobValidator;
import io.fluxfleet.job.ValidationError;
import io.fluxfleet.job.ValidationResult;
import io.fluxfleet.routing.JobTopics;
import io.fluxfleet.routing.ModelCatalog;
import io.fluxfleet.worker.JobFailure;
import java.util.List;

/**
 * Decides a job record's route: the request is validated with the fleet's limits (the same rejection
 * a worker's intake gives for a value that is not a valid request), then its model picks the pool and
 * its priority the lane. A model no pool serves is an UNKNOWN_MODEL rejection here, before any GPU.
 */
final class RouteDecider {

    private final JobValidator validator;
    private final JobTopics topics;

    RouteDecider(JobValidator validator, JobTopics topics) {
        this.validator = validator;
        this.topics = topics;
    }

    Route decide(byte[] value) {
        ValidationResult result = validator.validate(value);
        if (result instanceof ValidationResult.Invalid invalid) {
            return new Route.Reject(JobFailure.rejected(invalid));
        }
        JobRequest request = ((ValidationResult.Valid) result).request();
        return topics.topicFor(request.model(), request.priority())
                .<Route>map(topic -> new Route.Forward(request.jobId(), topic))
                .orElseGet(() -> new Route.Reject(JobFailure.rejected(new ValidationResult.Invalid(request.jobId(),
                        request.labels(), List.of(new ValidationError(ErrorCode.UNKNOWN_MODEL, "model",
                                "no pool of this fleet serves model '" + request.model() + "' (it serves "
                                        + servedModels() + ")"))))));
    }

    private List<String> servedModels() {
        return topics.catalog().entries().stream().map(ModelCatalog.Entry::name).toList();
    }
}
