package io.fluxfleet.devstack;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * S3Proxy alone (filesystem backend, the {@link LocalStack} credentials) on a free loopback port, for tests
 * that bring their own Kafka (a {@link KafkaCluster}). It can be stopped and started again on the same port
 * with the same data, for storage outages.
 */
public final class S3Server implements AutoCloseable {

    private final Path workDir;
    private final int port;
    private final ServerProcess process;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final Thread shutdownHook;

    private S3Server(Path workDir, int port, String classpath) {
        this.workDir = workDir;
        this.port = port;
        this.process = new ServerProcess("S3Proxy", new ChildJvm("-Dfluxfleet.s3server.dir=" + workDir).command(384,
                List.of("-Dlogback.configurationFile=" + workDir.resolve("logback.xml")),
                LocalStack.S3PROXY_MAIN_CLASS, "--properties", workDir.resolve("s3proxy.properties").toString()),
                classpath, workDir, workDir.resolve("s3proxy.log"));
        this.shutdownHook = new Thread(() -> process.stop(Duration.ofSeconds(5)), "fluxfleet-s3server-shutdown");
    }

    /** Writes the config, starts S3Proxy and waits until it answers S3 requests. */
    public static S3Server start(Path workDir) throws IOException {
        Path dir = workDir.toAbsolutePath().normalize();
        Files.createDirectories(dir.resolve("data"));
        S3Server server = new S3Server(dir, Loopback.freePorts(1)[0],
                StackClasspath.resolve(StackClasspath.projectRoot(), "s3proxy"));
        server.writeConfig();
        Runtime.getRuntime().addShutdownHook(server.shutdownHook);
        try {
            server.startAgain();
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    public String endpoint() {
        return "http://" + Loopback.address(port);
    }

    public String accessKey() {
        return LocalStack.ACCESS_KEY;
    }

    public String secretKey() {
        return LocalStack.SECRET_KEY;
    }

    public boolean isRunning() {
        return process.isAlive();
    }

    /** SIGKILLs S3Proxy (an outage: connections are refused until {@link #startAgain()}). Objects stay. */
    public synchronized void kill() {
        process.kill();
    }

    /** Starts S3Proxy on its port with its data and waits until it answers. */
    public synchronized void startAgain() throws IOException {
        process.start();
        ServerReadiness.await(process, "GET " + endpoint() + "/", Duration.ofSeconds(90), LocalS3.s3ApiProbe(http, endpoint()));
    }

    @Override
    public synchronized void close() {
        process.stop(Duration.ofSeconds(10));
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook is running
        }
    }

    private void writeConfig() throws IOException {
        Files.writeString(workDir.resolve("s3proxy.properties"), String.join("\n",
                "# S3Proxy on loopback with a local filesystem store, written by " + S3Server.class.getName(),
                "s3proxy.endpoint=" + endpoint(),
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + LocalStack.ACCESS_KEY,
                "s3proxy.credential=" + LocalStack.SECRET_KEY,
                "jclouds.provider=filesystem-nio2",
                "jclouds.filesystem.basedir=" + workDir.resolve("data"),
                ""), StandardCharsets.UTF_8);
        Files.writeString(workDir.resolve("logback.xml"), String.join("\n",
                "<configuration>",
                "  <appender name=\"STDOUT\" class=\"ch.qos.logback.core.ConsoleAppender\">",
                "    <encoder><pattern>[%d{ISO8601}] %-5level %msg \\(%logger{36}\\)%n</pattern></encoder>",
                "  </appender>",
                "  <root level=\"WARN\"><appender-ref ref=\"STDOUT\"/></root>",
                "</configuration>", ""), StandardCharsets.UTF_8);
    }
}
