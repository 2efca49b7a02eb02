package io.fluxfleet.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * What the gateway adds to a job record it produces, as Kafka headers (workers ignore them, the job
 * request itself stays the contract's): the request's hash for idempotency and the webhook.
 */
record Submission(String requestSha256, WebhookSpec webhook) {

    static final String H_SHA256 = "fluxfleet-gateway-request-sha256";
    static final String H_WEBHOOK = "fluxfleet-gateway-webhook";

    void writeTo(Headers headers) {
        headers.add(H_SHA256, requestSha256.getBytes(StandardCharsets.UTF_8));
        if (webhook != null) {
            try {
                headers.add(H_WEBHOOK, JobStateFold.JSON.writeValueAsBytes(webhook));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Null for a job record not produced by the gateway. */
    static Submission readFrom(Headers headers) {
        Header sha = headers.lastHeader(H_SHA256);
        if (sha == null) {
            return null;
        }
        Header hook = headers.lastHeader(H_WEBHOOK);
        WebhookSpec webhook = null;
        if (hook != null) {
            try {
                webhook = JobStateFold.JSON.readValue(hook.value(), WebhookSpec.class);
            } catch (java.io.IOException e) {
                webhook = null; // an unreadable header: no webhook rather than a stuck topology
            }
        }
        return new Submission(new String(sha.value(), StandardCharsets.UTF_8), webhook);
    }
}
