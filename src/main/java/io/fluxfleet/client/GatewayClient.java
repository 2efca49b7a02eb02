package io.fluxfleet.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fluxfleet.gateway.WebhookSignature;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A small client of the gateway's HTTP API (/v1): submit a job, follow its Server-Sent Events to the
 * end, cancel, and verify webhook deliveries. Plain JDK HTTP; used by {@code fluxfleet submit --gateway}.
 */
public final class GatewayClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final String apiKey;
    private final HttpClient http;

    /** An answer: HTTP status, the JSON body (null if none), and the Location / Retry-After headers. */
    public record Answer(int status, JsonNode body, String location, String retryAfter) {
        public boolean ok() {
            return status / 100 == 2;
        }
    }

    /** One Server-Sent Event: id = CloudEvents id, type = CloudEvents type, data = the event JSON. */
    public record Event(String id, String type, JsonNode data) {
        /** completed, or failed with no retry to come: the last event of a job. */
        public boolean terminal() {
            return type.endsWith(".completed") || (type.endsWith(".failed") && !data.path("retryable").asBoolean());
        }
    }

    public GatewayClient(URI base, String apiKey) {
        this.base = base;
        this.apiKey = apiKey;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** POST /v1/jobs: 202 (accepted, durable), 200 (same jobId and body again), 4xx with {code, message}. */
    public Answer submit(String requestJson) throws IOException, InterruptedException {
        return send(request("/v1/jobs").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(requestJson)).build());
    }

    public Answer get(String jobId) throws IOException, InterruptedException {
        return send(request("/v1/jobs/" + jobId).GET().build());
    }

    public Answer cancel(String jobId) throws IOException, InterruptedException {
        return send(request("/v1/jobs/" + jobId + "/cancel").POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    /** GET with a path and query relative to the base, e.g. {@code /v1/jobs?state=completed}. */
    public Answer getPath(String pathAndQuery) throws IOException, InterruptedException {
        return send(request(pathAndQuery).GET().build());
    }

    /**
     * Follows GET /v1/jobs/{id}/events from {@code lastEventId} (null: from the start) and hands each
     * event to {@code onEvent} until the terminal one, which it returns; throws when the stream ends
     * before it or {@code timeout} passes.
     */
    public Event await(String jobId, String lastEventId, Duration timeout, Consumer<Event> onEvent)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = request("/v1/jobs/" + jobId + "/events").header("Accept", "text/event-stream")
                .timeout(timeout).GET();
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<InputStream> response = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            String body = new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
            throw new IOException("GET /v1/jobs/" + jobId + "/events: " + response.statusCode() + " " + body);
        }
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String id = null;
            String type = null;
            StringBuilder data = new StringBuilder();
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (line.isEmpty()) {
                    if (data.length() > 0) {
                        Event event = new Event(id, type, JSON.readTree(data.toString()));
                        onEvent.accept(event);
                        if (event.terminal()) {
                            return event;
                        }
                    }
                    id = null;
                    type = null;
                    data.setLength(0);
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).trim();
                } else if (line.startsWith("event:")) {
                    type = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    data.append(line.substring(5).trim());
                }
            }
        }
        throw new IOException("the event stream of " + jobId + " ended before a terminal event");
    }

    /**
     * Verifies a webhook delivery (Standard Webhooks): the {@code webhook-signature} over
     * {@code webhook-id.webhook-timestamp.body} with the tenant's secret, and a timestamp within 5 minutes.
     */
    public static boolean verifyWebhook(String secret, Map<String, String> headers, byte[] body) {
        return WebhookSignature.verify(secret, headers.get("webhook-id"), headers.get("webhook-timestamp"),
                headers.get("webhook-signature"), body, 300);
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + apiKey);
    }

    private Answer send(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
        JsonNode body = r.body() == null || r.body().isBlank() ? null : parse(r.body());
        return new Answer(r.statusCode(), body, r.headers().firstValue("Location").orElse(null),
                r.headers().firstValue("Retry-After").orElse(null));
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            return JSON.getNodeFactory().textNode(text);
        }
    }
}
