package io.fluxfleet.gateway;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** A real HTTP server on loopback that records webhook deliveries (headers and body) and answers 204. */
final class WebhookReceiver implements AutoCloseable {

    record Delivery(Map<String, String> headers, byte[] body) {
    }

    private final HttpServer server;
    final List<Delivery> deliveries;

    private WebhookReceiver(HttpServer server, List<Delivery> deliveries) {
        this.server = server;
        this.deliveries = deliveries;
    }

    /** Listens on the port (0: any free one); {@code deliveries} may be shared with an earlier receiver. */
    static WebhookReceiver start(int port, List<Delivery> deliveries) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/hook", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Map<String, String> headers = new java.util.HashMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0)));
            deliveries.add(new Delivery(headers, body));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
        return new WebhookReceiver(server, deliveries);
    }

    static WebhookReceiver start() throws IOException {
        return start(0, new CopyOnWriteArrayList<>());
    }

    int port() {
        return server.getAddress().getPort();
    }

    String url() {
        return "http://127.0.0.1:" + port() + "/hook";
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
