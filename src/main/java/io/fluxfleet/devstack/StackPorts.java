package io.fluxfleet.devstack;

import java.io.IOException;

/** The loopback ports of a {@link LocalStack}: the broker's client and controller listeners and S3Proxy's. */
record StackPorts(int kafka, int kafkaController, int s3) {

    static StackPorts free() throws IOException {
        int[] ports = Loopback.freePorts(3);
        return new StackPorts(ports[0], ports[1], ports[2]);
    }
}
