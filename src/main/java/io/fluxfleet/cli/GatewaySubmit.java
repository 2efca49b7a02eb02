package io.fluxfleet.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fluxfleet.client.GatewayClient;
import java.net.URI;
import java.time.Duration;

/** {@code fluxfleet submit --gateway URL}: the job over HTTP, followed through SSE. Same output and exit codes. */
final class GatewaySubmit {

    private final GatewayClient client;
    private final boolean quiet;

    GatewaySubmit(URI gateway, String apiKey, boolean quiet) {
        if (apiKey == null || apiKey.isBlank()) {
            throw new IllegalArgumentException("--gateway needs --api-key or $FLUXFLEET_API_KEY");
        }
        this.client = new GatewayClient(gateway, apiKey);
        this.quiet = quiet;
    }

    int run(ObjectNode request, Duration timeout) throws Exception {
        String jobId = request.get("jobId").asText();
        GatewayClient.Answer answer = client.submit(request.toString());
        if (!answer.ok()) {
            System.err.println("submit " + jobId + ": HTTP " + answer.status() + " " + answer.body());
            return SubmitCommand.EXIT_FAILED;
        }
        if (!quiet) {
            System.err.println("job " + jobId + " " + (answer.status() == 202 ? "accepted" : "already known"));
        }
        GatewayClient.Event last;
        try {
            last = client.await(jobId, null, timeout, e -> {
                if (!quiet) {
                    System.err.println(e.type().substring(e.type().lastIndexOf('.') + 1)
                            + (e.data().has("fraction") ? " " + Math.round(100 * e.data().get("fraction").asDouble()) + "%" : ""));
                }
            });
        } catch (java.io.IOException e) {
            System.err.println("job " + jobId + ": " + e.getMessage());
            return SubmitCommand.EXIT_TIMEOUT;
        }
        if (last.type().endsWith(".completed")) {
            System.out.println("s3://" + last.data().path("bucket").asText() + "/" + last.data().path("key").asText());
            return 0;
        }
        System.err.println("job " + jobId + " failed: " + last.data().path("code").asText() + " "
                + last.data().path("message").asText());
        return SubmitCommand.EXIT_FAILED;
    }
}
