package io.fluxfleet.gateway;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the job-state tables are rebuilt and the topology runs (always UP where the role is off). */
@Readiness
@ApplicationScoped
public class GatewayHealth implements HealthCheck {

    @Inject
    GatewayConfig config;

    @Inject
    JobStateStore states;

    @Inject
    EventFeed feed;

    @Override
    public HealthCheckResponse call() {
        if (!config.enabled()) {
            return HealthCheckResponse.named("fluxfleet-gateway").up().withData("role", "off").build();
        }
        return HealthCheckResponse.named("fluxfleet-gateway").status(states.ready())
                .withData("jobState", states.streamsState())
                .withData("sseStreams", feed.streams())
                .build();
    }
}
