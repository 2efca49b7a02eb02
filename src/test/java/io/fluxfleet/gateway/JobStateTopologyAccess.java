package io.fluxfleet.gateway;

import java.time.Duration;
import java.util.List;
import org.apache.kafka.streams.Topology;

/** The gateway's job-state topology, as the gateway builds it, for the manifest tests (io.fluxfleet.deploy). */
public final class JobStateTopologyAccess {

    /** The topic names the topology is built from (the gateway takes them from its configuration). */
    public record Topics(List<String> jobsLanes, String events, String state, String index, String webhooks,
            String webhookDlq) {
    }

    private JobStateTopologyAccess() {
    }

    public static Topology build(Topics t) {
        return JobStateTopology.build(new JobStateTopology.Settings(t.jobsLanes(), t.events(), t.state(), t.index(),
                t.webhooks(), t.webhookDlq(), Duration.ofDays(7), Duration.ofMinutes(10)), lag -> { });
    }
}
