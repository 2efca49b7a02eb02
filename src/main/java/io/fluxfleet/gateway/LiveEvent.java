package io.fluxfleet.gateway;

/**
 * One lifecycle event as SSE sends it.
 *
 * @param id       the CloudEvents id (the SSE id, what Last-Event-ID names)
 * @param type     the CloudEvents type (the SSE event name)
 * @param json     the event's JSON
 * @param terminal completed, or failed with no retry to come: the stream ends after it
 */
public record LiveEvent(String id, String type, String json, boolean terminal) {
}
