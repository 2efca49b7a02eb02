package io.fluxfleet.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;

/**
 * One HTTP attempt of a webhook delivery, non-blocking (Vert.x): to the address {@link WebhookTargets}
 * resolved and checked (Host header and TLS SNI keep the URL's host name), signed, with a timeout,
 * never following a redirect. Completes with null on a 2xx answer, else with the reason.
 */
@ApplicationScoped
public class WebhookSender {

    @Inject
    Vertx vertx;

    @Inject
    GatewayConfig config;

    private HttpClient client;

    @PostConstruct
    void init() {
        client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false).setMaxPoolSize(64)
                .setVerifyHost(true));
    }

    /** The attempt's outcome: null on success, else why it failed. */
    public Future<String> send(WebhookTargets.Target target, String secret, WebhookDelivery delivery, byte[] body) {
        long now = Instant.now().getEpochSecond();
        long timeoutMs = config.webhooks().timeout().toMillis();
        String path = target.uri().getRawPath() == null || target.uri().getRawPath().isEmpty() ? "/"
                : target.uri().getRawPath();
        if (target.uri().getRawQuery() != null) {
            path += "?" + target.uri().getRawQuery();
        }
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST)
                .setHost(target.uri().getHost()).setPort(target.port()).setURI(path)
                .setServer(SocketAddress.inetSocketAddress(target.port(), target.address().getHostAddress()))
                .setSsl("https".equalsIgnoreCase(target.uri().getScheme()))
                .setFollowRedirects(false).setConnectTimeout(timeoutMs).setTimeout(timeoutMs)
                .putHeader("content-type", "application/json")
                .putHeader("user-agent", config.webhooks().userAgent().orElse("fluxfleet-gateway/1"))
                .putHeader("webhook-id", delivery.webhookId())
                .putHeader("webhook-timestamp", Long.toString(now))
                .putHeader("webhook-signature", WebhookSignature.sign(secret, delivery.webhookId(), now, body));
        return client.request(options)
                .compose(request -> request.send(Buffer.buffer(body)))
                .compose(response -> response.body().map(ignored -> response.statusCode()))
                .map(status -> status / 100 == 2 ? (String) null : "HTTP " + status)
                .otherwise(failure -> failure.getClass().getSimpleName() + ": " + failure.getMessage());
    }
}
