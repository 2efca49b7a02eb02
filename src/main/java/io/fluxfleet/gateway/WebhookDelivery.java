package io.fluxfleet.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * One webhook message waiting for an attempt, as a record of the webhooks topic (key jobId). A failed
 * attempt puts the next one back on the topic with a later {@code notBefore}, so a gateway restart
 * loses none.
 *
 * @param webhookId the event's CloudEvents id: the {@code webhook-id} header, the same on every attempt
 * @param body      the JSON body: {@code {"type", "timestamp", "data"}} (Standard Webhooks)
 * @param attempt   1 for the first attempt
 */
record WebhookDelivery(String webhookId, String tenant, String jobId, String url, String eventType, JsonNode body,
        int attempt, Instant firstQueuedAt, Instant notBefore, String lastError) {

    WebhookDelivery next(Instant notBefore, String error) {
        return new WebhookDelivery(webhookId, tenant, jobId, url, eventType, body, attempt + 1, firstQueuedAt, notBefore,
                error);
    }

    JobState.DeadDelivery dead(Instant at) {
        return new JobState.DeadDelivery(webhookId, url, eventType, attempt, lastError, at);
    }
}
