package io.fluxfleet.devstack;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The loopback ports of a {@link KafkaCluster}: per node (index 0..n-1) a broker and a controller listener. */
record ClusterPorts(List<Integer> broker, List<Integer> controller) {

    static ClusterPorts free(int nodes) throws IOException {
        int[] ports = Loopback.freePorts(2 * nodes);
        List<Integer> broker = new ArrayList<>();
        List<Integer> controller = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            broker.add(ports[2 * i]);
            controller.add(ports[2 * i + 1]);
        }
        return new ClusterPorts(List.copyOf(broker), List.copyOf(controller));
    }

    /** {@code 127.0.0.1:p1,127.0.0.1:p2,...}: every node, so clients find the cluster with any node down. */
    String bootstrapServers() {
        return String.join(",", broker.stream().map(Loopback::address).toList());
    }

    /** {@code controller.quorum.voters}: {@code 1@127.0.0.1:c1,2@127.0.0.1:c2,...}. */
    String voters() {
        List<String> voters = new ArrayList<>();
        for (int i = 0; i < controller.size(); i++) {
            voters.add(KafkaCluster.nodeId(i) + "@" + Loopback.address(controller.get(i)));
        }
        return String.join(",", voters);
    }
}
