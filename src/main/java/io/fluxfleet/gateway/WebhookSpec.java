package io.fluxfleet.gateway;

import java.util.List;

/**
 * Where a job's lifecycle events are POSTed: the request's {@code webhook} object, or the tenant's default.
 *
 * @param url    https (http only where allowed), checked against SSRF rules at every delivery
 * @param events CloudEvents types ({@code io.fluxfleet.job.completed}) or their short names ({@code completed})
 */
public record WebhookSpec(String url, List<String> events) {

    public WebhookSpec {
        events = events == null ? List.of() : List.copyOf(events);
    }

    /** True when deliveries for this event type are wanted. */
    public boolean wants(String cloudEventType) {
        String shortName = cloudEventType.substring(cloudEventType.lastIndexOf('.') + 1);
        return events.contains(cloudEventType) || events.contains(shortName) || events.contains("*");
    }
}
