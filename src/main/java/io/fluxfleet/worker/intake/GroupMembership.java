package io.fluxfleet.worker.intake;

import io.fluxfleet.worker.WorkerIdentity;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.util.Map;

/**
 * The consumer settings of the jobs and retries channels besides {@code kafka.*} (which they still
 * get): static membership with {@code group.instance.id} = the worker id (the pod name in
 * Kubernetes), so a restarted container gets its partitions back without a rebalance. The channels
 * name this bean with {@code kafka-configuration=fluxfleet-consumer}; the assignor and session
 * timeout are in application.properties.
 */
@ApplicationScoped
public class GroupMembership {

    public static final String CONFIGURATION = "fluxfleet-consumer";

    @Produces
    @Identifier(CONFIGURATION)
    Map<String, Object> consumerConfiguration(WorkerIdentity identity) {
        return Map.of("group.instance.id", identity.id());
    }
}
