package io.fluxfleet.devstack;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The S3 side of a {@link LocalStack}: S3Proxy with a filesystem store, its config in
 * {@code s3/s3proxy.properties}, its buckets under {@code s3/data/} and its output in {@code s3proxy.log}.
 */
final class LocalS3 {

    /** S3Proxy's own NIO.2 filesystem store; its older jclouds "filesystem" provider is deprecated in S3Proxy 3. */
    private static final String BLOBSTORE_PROVIDER = "filesystem-nio2";

    private final Path dir;
    private final LocalStack.Settings settings;
    private final int port;
    private final ServerProcess process;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    LocalS3(Path workDir, LocalStack.Settings settings, String classpath, int port) {
        this.dir = workDir.resolve("s3");
        this.settings = settings;
        this.port = port;
        this.process = new ServerProcess("S3Proxy", new ChildJvm(StackProcesses.marker(workDir)).command(settings.s3HeapMb(),
                List.of("-Dlogback.configurationFile=" + dir.resolve("logback.xml")),
                LocalStack.S3PROXY_MAIN_CLASS, "--properties", dir.resolve("s3proxy.properties").toString()),
                classpath, workDir, workDir.resolve("s3proxy.log"));
    }

    /** {@code http://127.0.0.1:<port>}. */
    String endpoint() {
        return "http://" + Loopback.address(port);
    }

    ServerProcess process() {
        return process;
    }

    /** Creates the store's directory and writes S3Proxy's config files. */
    void writeConfig() throws IOException {
        Files.createDirectories(dir.resolve("data"));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("s3proxy.endpoint", endpoint());
        config.put("s3proxy.authorization", "aws-v2-or-v4");
        config.put("s3proxy.identity", LocalStack.ACCESS_KEY);
        config.put("s3proxy.credential", LocalStack.SECRET_KEY);
        config.put("jclouds.provider", BLOBSTORE_PROVIDER);
        config.put("jclouds.filesystem.basedir", dir.resolve("data"));
        BrokerFiles.writeProperties(dir.resolve("s3proxy.properties"),
                "S3Proxy on loopback with a local filesystem store, written by " + LocalStack.class.getName(), config);

        // S3Proxy ships no logging config, and logback's default is DEBUG for everything.
        Files.writeString(dir.resolve("logback.xml"), String.join("\n",
                "<configuration>",
                "  <appender name=\"STDOUT\" class=\"ch.qos.logback.core.ConsoleAppender\">",
                "    <encoder><pattern>[%d{ISO8601}] %-5level %msg \\(%logger{36}\\)%n</pattern></encoder>",
                "  </appender>",
                "  <root level=\"INFO\"><appender-ref ref=\"STDOUT\"/></root>",
                "</configuration>",
                ""), StandardCharsets.UTF_8);
    }

    /** Starts the S3Proxy JVM; {@link #awaitReady()} waits until it serves. */
    void launch() throws IOException {
        process.start();
    }

    void awaitReady() throws IOException {
        ServerReadiness.await(process, "GET " + endpoint() + "/", settings.startTimeout(), s3ApiProbe(http, endpoint()));
    }

    /** SIGTERM, then SIGKILL after the stop timeout. Stored objects are kept. */
    void stop() {
        process.stop(settings.stopTimeout());
    }

    /** An anonymous request is refused with an S3 XML error document: proof that the S3 API is serving. */
    static ServerReadiness.Probe s3ApiProbe(HttpClient http, String endpoint) {
        HttpRequest anonymousListBuckets = HttpRequest.newBuilder(URI.create(endpoint + "/"))
                .timeout(Duration.ofSeconds(2)).GET().build();
        return () -> {
            HttpResponse<String> response = http.send(anonymousListBuckets, HttpResponse.BodyHandlers.ofString());
            return response.body().startsWith("<?xml");
        };
    }
}
