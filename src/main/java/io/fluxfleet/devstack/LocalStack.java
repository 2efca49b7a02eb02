package io.fluxfleet.devstack;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A real Kafka broker (KRaft, single node) and a real S3 server (S3Proxy, filesystem backend), each in its
 * own child JVM, on free loopback ports, with data and logs under one work directory. No Docker needed.
 *
 * <p>Used by tests ({@link #start(Path)} ... {@link #close()}), by {@code deploy/stack.sh} and by demos
 * ({@link #main(String[])}). Either server can be stopped and started again on the same port with the same
 * data, for fault-injection tests. A JVM shutdown hook stops both servers if {@link #close()} was not called.
 *
 * <p>Layout of the work directory:
 * <pre>
 *   kafka/server.properties   kafka/data/        kafka.log      kafka-format.log
 *   s3/s3proxy.properties     s3/data/&lt;bucket&gt;/  s3proxy.log
 *   stack.env                 (only when started by {@code main start})
 * </pre>
 */
public final class LocalStack implements AutoCloseable {

    /** Fixed credentials of the local S3 server (loopback only, never a real secret). */
    public static final String ACCESS_KEY = "fluxfleet-local";
    public static final String SECRET_KEY = "fluxfleet-local-secret";
    /** The S3 region clients should use (S3Proxy answers for any; setting it saves a bucket-location call). */
    public static final String S3_REGION = "us-east-1";
    /** The file {@code main start} writes into the work directory. */
    public static final String ENV_FILE = "stack.env";

    static final String KAFKA_MAIN_CLASS = "kafka.Kafka";
    static final String S3PROXY_MAIN_CLASS = "org.gaul.s3proxy.Main";
    /** Marks the child JVMs so that {@code stop} only kills servers of that work directory, even if a pid was reused. */
    private static final String WORK_DIR_MARKER = "-Dfluxfleet.localstack.dir=";
    private static final String LOOPBACK = "127.0.0.1";
    private static final int KAFKA_NODE_ID = 1;
    /** S3Proxy's own NIO.2 filesystem store; its older jclouds "filesystem" provider is deprecated in S3Proxy 3. */
    private static final String S3_BLOBSTORE_PROVIDER = "filesystem-nio2";
    private static final int PORT_ATTEMPTS = 3;

    /** Tunables; {@link #defaults()} suits tests on a small shared machine. */
    public record Settings(int defaultPartitions, Duration startTimeout, Duration stopTimeout,
                           int kafkaHeapMb, int s3HeapMb) {

        public static Settings defaults() {
            return new Settings(1, Duration.ofSeconds(90), Duration.ofSeconds(30), 512, 384);
        }

        /** {@code num.partitions} of the broker: the partition count of auto-created topics. */
        public Settings withDefaultPartitions(int partitions) {
            return new Settings(partitions, startTimeout, stopTimeout, kafkaHeapMb, s3HeapMb);
        }

        public Settings withStartTimeout(Duration timeout) {
            return new Settings(defaultPartitions, timeout, stopTimeout, kafkaHeapMb, s3HeapMb);
        }
    }

    private final Path workDir;
    private final Settings settings;
    private final int kafkaPort;
    private final int controllerPort;
    private final int s3Port;
    private final String kafkaClasspath;
    private final ServerProcess kafka;
    private final ServerProcess s3;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final Thread shutdownHook = new Thread(this::stopQuietly, "fluxfleet-localstack-shutdown");
    private boolean hookRegistered;
    /** A SASL_SSL-only client listener ({@link #startSecured}); null for the plaintext one. */
    private KafkaSecurity security;

    private LocalStack(Path workDir, Settings settings, String kafkaClasspath, String s3Classpath, int[] ports) {
        this.workDir = workDir;
        this.settings = settings;
        this.kafkaClasspath = kafkaClasspath;
        this.kafkaPort = ports[0];
        this.controllerPort = ports[1];
        this.s3Port = ports[2];
        this.kafka = new ServerProcess("Kafka broker", javaCommand(settings.kafkaHeapMb(),
                List.of("-Dlog4j2.configurationFile=" + kafkaDir().resolve("log4j2.properties")),
                KAFKA_MAIN_CLASS, kafkaDir().resolve("server.properties").toString()),
                kafkaClasspath, workDir, workDir.resolve("kafka.log"));
        this.s3 = new ServerProcess("S3Proxy", javaCommand(settings.s3HeapMb(),
                List.of("-Dlogback.configurationFile=" + s3Dir().resolve("logback.xml")),
                S3PROXY_MAIN_CLASS, "--properties", s3Dir().resolve("s3proxy.properties").toString()),
                s3Classpath, workDir, workDir.resolve("s3proxy.log"));
    }

    /** Starts both servers with {@link Settings#defaults()}. */
    public static LocalStack start(Path workDir) throws IOException {
        return start(workDir, Settings.defaults());
    }

    /**
     * Like {@link #start(Path, Settings)}, with the broker's client listener SASL_SSL only
     * ({@link KafkaSecurity}); clients need {@link KafkaSecurity#clientProperties}.
     */
    public static LocalStack startSecured(Path workDir, Settings settings, KafkaSecurity security) throws IOException {
        return start(workDir, settings, security);
    }

    /**
     * Starts both servers and waits until they answer. An existing work directory is reused: a formatted
     * Kafka log dir and stored objects survive, the ports are picked afresh.
     */
    public static LocalStack start(Path workDir, Settings settings) throws IOException {
        return start(workDir, settings, null);
    }

    private static LocalStack start(Path workDir, Settings settings, KafkaSecurity security) throws IOException {
        Path dir = workDir.toAbsolutePath().normalize();
        List<ProcessHandle> running = serversOf(dir);
        if (!running.isEmpty()) {
            // Two brokers on one log dir clash: here the second one broke the first one's metadata log.
            throw new IllegalStateException("servers of a stack in " + dir + " are still running (pids "
                    + running.stream().map(h -> String.valueOf(h.pid())).toList() + "); stop them first");
        }
        Files.createDirectories(dir);
        Path projectRoot = StackClasspath.projectRoot();
        String kafkaClasspath = StackClasspath.resolve(projectRoot, "kafka");
        String s3Classpath = StackClasspath.resolve(projectRoot, "s3proxy");
        for (int attempt = 1; ; attempt++) {
            LocalStack stack = new LocalStack(dir, settings, kafkaClasspath, s3Classpath, freeLoopbackPorts(3));
            stack.security = security;
            try {
                stack.startBoth();
                return stack;
            } catch (ServerStartException e) {
                stack.close();
                // Another process may grab a port between our probe and the server's bind: try new ports.
                if (!e.portTaken || attempt == PORT_ATTEMPTS) {
                    throw e;
                }
            } catch (IOException | RuntimeException e) {
                stack.close();
                throw e;
            }
        }
    }

    private void startBoth() throws IOException {
        Files.createDirectories(kafkaDir().resolve("data"));
        Files.createDirectories(s3Dir().resolve("data"));
        writeKafkaConfig();
        writeS3Config();
        registerShutdownHook();
        // S3Proxy boots while the Kafka log dir is formatted: both cost seconds of JVM start-up.
        s3.start();
        formatKafkaLogDirIfNeeded();
        kafka.start();
        awaitKafkaReady();
        awaitS3Ready();
    }

    // ---- accessors --------------------------------------------------------------------------------------

    /** The SASL_SSL settings of the client listener, or null when it is PLAINTEXT. */
    public KafkaSecurity security() {
        return security;
    }

    /** {@code 127.0.0.1:<port>} of the client listener (PLAINTEXT, or SASL_SSL with {@link #startSecured}). */
    public String bootstrapServers() {
        return LOOPBACK + ":" + kafkaPort;
    }

    /** {@code http://127.0.0.1:<port>}; path-style bucket addressing. */
    public String s3Endpoint() {
        return "http://" + LOOPBACK + ":" + s3Port;
    }

    public String accessKey() {
        return ACCESS_KEY;
    }

    public String secretKey() {
        return SECRET_KEY;
    }

    public Path workDir() {
        return workDir;
    }

    public int kafkaPort() {
        return kafkaPort;
    }

    public int kafkaControllerPort() {
        return controllerPort;
    }

    public int s3Port() {
        return s3Port;
    }

    /** Pid of the broker JVM, or -1 while it is stopped. */
    public long kafkaPid() {
        return kafka.pid();
    }

    /** Pid of the S3Proxy JVM, or -1 while it is stopped. */
    public long s3Pid() {
        return s3.pid();
    }

    public Path kafkaLog() {
        return kafka.logFile();
    }

    public Path s3Log() {
        return s3.logFile();
    }

    // ---- fault injection --------------------------------------------------------------------------------

    /** Stops the broker (SIGTERM, then SIGKILL after the stop timeout). Its data dir is kept. */
    public synchronized void stopKafka() {
        kafka.stop(settings.stopTimeout());
    }

    /** Starts the broker again on the same ports with the same data and waits until it answers. */
    public synchronized void startKafka() throws IOException {
        kafka.start();
        awaitKafkaReady();
    }

    /** Stops S3Proxy. Stored objects are kept. */
    public synchronized void stopS3() {
        s3.stop(settings.stopTimeout());
    }

    /** Starts S3Proxy again on the same port with the same data and waits until it answers. */
    public synchronized void startS3() throws IOException {
        s3.start();
        awaitS3Ready();
    }

    /** Stops both servers; data stays in the work directory. Safe to call more than once. */
    @Override
    public synchronized void close() {
        stopQuietly();
        if (hookRegistered) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // the hook is running or about to run; nothing left to undo
            }
            hookRegistered = false;
        }
    }

    /**
     * Leaves both servers running after this JVM exits (the shutdown hook is removed). Whoever detaches
     * must stop them later by pid, as {@code main stop} does.
     */
    public synchronized void detach() {
        if (hookRegistered) {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
            hookRegistered = false;
        }
    }

    private void stopQuietly() {
        s3.stop(settings.stopTimeout());
        kafka.stop(settings.stopTimeout());
    }

    private synchronized void registerShutdownHook() {
        if (!hookRegistered) {
            Runtime.getRuntime().addShutdownHook(shutdownHook);
            hookRegistered = true;
        }
    }

    // ---- Kafka ------------------------------------------------------------------------------------------

    private Path kafkaDir() {
        return workDir.resolve("kafka");
    }

    private void writeKafkaConfig() throws IOException {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("process.roles", "broker,controller");
        config.put("node.id", KAFKA_NODE_ID);
        // A static voter set: the ports live only in this file, so a reused log dir may get new ports.
        config.put("controller.quorum.voters", KAFKA_NODE_ID + "@" + LOOPBACK + ":" + controllerPort);
        config.put("listeners", "PLAINTEXT://" + LOOPBACK + ":" + kafkaPort + ",CONTROLLER://" + LOOPBACK + ":" + controllerPort);
        config.put("advertised.listeners", "PLAINTEXT://" + LOOPBACK + ":" + kafkaPort);
        config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        config.put("controller.listener.names", "CONTROLLER");
        config.put("inter.broker.listener.name", "PLAINTEXT");
        config.put("log.dirs", kafkaDir().resolve("data"));
        config.put("num.partitions", settings.defaultPartitions());
        config.put("auto.create.topics.enable", true);
        // One node: every internal topic has a single replica.
        config.put("offsets.topic.replication.factor", 1);
        config.put("transaction.state.log.replication.factor", 1);
        config.put("transaction.state.log.min.isr", 1);
        config.put("share.coordinator.state.topic.replication.factor", 1);
        config.put("share.coordinator.state.topic.min.isr", 1);
        // Fewer internal partitions than the default 50: the first consumer group comes up in a fraction of the time.
        config.put("offsets.topic.num.partitions", 5);
        config.put("transaction.state.log.num.partitions", 5);
        // Consumers join at once instead of waiting 3 s for more members.
        config.put("group.initial.rebalance.delay.ms", 0);
        if (security != null) {
            security.applyTo(config, LOOPBACK, kafkaPort);
        }
        BrokerFiles.writeProperties(kafkaDir().resolve("server.properties"),
                "Single-node KRaft broker+controller on loopback, written by " + LocalStack.class.getName(), config);

        BrokerFiles.writeLogConfig(kafkaDir());
    }

    private void formatKafkaLogDirIfNeeded() throws IOException {
        if (Files.exists(kafkaDir().resolve("data/meta.properties"))) {
            return;
        }
        Path formatLog = workDir.resolve("kafka-format.log");
        String clusterId = Uuid.randomUuid().toString();
        List<String> command = javaCommand(256,
                List.of("-cp", kafkaClasspath,"-Dlog4j2.configurationFile=" + kafkaDir().resolve("log4j2.properties")),
                "kafka.tools.StorageTool", "format",
                "--cluster-id", clusterId,
                "--config", kafkaDir().resolve("server.properties").toString());
        if (security != null) {
            command.addAll(security.formatArguments());
        }
        Process format = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(formatLog.toFile()))
                .start();
        format.getOutputStream().close();
        try {
            if (!format.waitFor(settings.startTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                format.destroyForcibly();
                throw new IOException("formatting the Kafka log dir did not finish within "
                        + settings.startTimeout().toSeconds() + " s\n" + ServerProcess.tail(formatLog, 30));
            }
        } catch (InterruptedException e) {
            format.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while formatting the Kafka log dir", e);
        }
        if (format.exitValue() != 0) {
            throw new IOException("formatting the Kafka log dir failed (exit " + format.exitValue() + ")\n"
                    + ServerProcess.tail(formatLog, 30));
        }
    }

    private void awaitKafkaReady() throws IOException {
        Properties adminConfig = new Properties();
        adminConfig.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        adminConfig.put(AdminClientConfig.CLIENT_ID_CONFIG, "fluxfleet-localstack-probe");
        adminConfig.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
        adminConfig.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000);
        adminConfig.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 250);
        if (security != null) {
            adminConfig.putAll(security.clientProperties(security.users().keySet().iterator().next()));
        }
        try (Admin admin = Admin.create(adminConfig)) {
            awaitReady(kafka, "describeCluster on " + bootstrapServers(),
                    () -> !admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty());
        }
    }

    // ---- S3 ---------------------------------------------------------------------------------------------

    private Path s3Dir() {
        return workDir.resolve("s3");
    }

    private void writeS3Config() throws IOException {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("s3proxy.endpoint", s3Endpoint());
        config.put("s3proxy.authorization", "aws-v2-or-v4");
        config.put("s3proxy.identity", ACCESS_KEY);
        config.put("s3proxy.credential", SECRET_KEY);
        config.put("jclouds.provider", S3_BLOBSTORE_PROVIDER);
        config.put("jclouds.filesystem.basedir", s3Dir().resolve("data"));
        BrokerFiles.writeProperties(s3Dir().resolve("s3proxy.properties"),
                "S3Proxy on loopback with a local filesystem store, written by " + LocalStack.class.getName(), config);

        // S3Proxy ships no logging config, and logback's default is DEBUG for everything.
        Files.writeString(s3Dir().resolve("logback.xml"), String.join("\n",
                "<configuration>",
                "  <appender name=\"STDOUT\" class=\"ch.qos.logback.core.ConsoleAppender\">",
                "    <encoder><pattern>[%d{ISO8601}] %-5level %msg \\(%logger{36}\\)%n</pattern></encoder>",
                "  </appender>",
                "  <root level=\"INFO\"><appender-ref ref=\"STDOUT\"/></root>",
                "</configuration>",
                ""), StandardCharsets.UTF_8);
    }

    private void awaitS3Ready() throws IOException {
        // An anonymous request is refused with an S3 XML error document: proof that the S3 API is serving.
        HttpRequest anonymousListBuckets = HttpRequest.newBuilder(URI.create(s3Endpoint() + "/"))
                .timeout(Duration.ofSeconds(2)).GET().build();
        awaitReady(s3, "GET " + s3Endpoint() + "/", () -> {
            HttpResponse<String> response = http.send(anonymousListBuckets, HttpResponse.BodyHandlers.ofString());
            return response.body().startsWith("<?xml");
        });
    }

    // ---- shared plumbing --------------------------------------------------------------------------------

    @FunctionalInterface
    private interface ReadinessProbe {
        boolean ready() throws Exception;
    }

    private void awaitReady(ServerProcess server, String probeDescription, ReadinessProbe probe) throws IOException {
        Instant started = Instant.now();
        Instant deadline = started.plus(settings.startTimeout());
        Exception lastFailure = null;
        while (true) {
            if (!server.isAlive()) {
                String tail = server.logTail(40);
                throw new ServerStartException(server.name() + " exited (code "
                        + server.exitCode().map(String::valueOf).orElse("?") + ") before it answered "
                        + probeDescription + "\n" + tail, tail.contains("Address already in use"));
            }
            try {
                if (probe.ready()) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for " + server.name(), e);
            } catch (Exception e) {
                lastFailure = e;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new ServerStartException(server.name() + " did not answer " + probeDescription + " within "
                        + settings.startTimeout().toSeconds() + " s (last probe error: " + lastFailure + ")\n"
                        + server.logTail(40), false);
            }
            sleep(Duration.ofMillis(250));
        }
    }

    /** A server that did not come up; {@code portTaken} when it died because its port was in use. */
    private static final class ServerStartException extends IOException {
        final boolean portTaken;

        ServerStartException(String message, boolean portTaken) {
            super(message);
            this.portTaken = portTaken;
        }
    }

    private List<String> javaCommand(int heapMb, List<String> options, String mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms64m", "-Xmx" + heapMb + "m",
                // Small shared machines: a serial GC and C1 only start faster and use less CPU than the defaults.
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Djava.awt.headless=true",
                WORK_DIR_MARKER + workDir));
        command.addAll(options);
        command.add(mainClass);
        command.addAll(List.of(args));
        return command;
    }

    /** Distinct free loopback ports: all sockets are held open together so that no two are the same. */
    static int[] freeLoopbackPorts(int count) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK));
                sockets.add(socket);
                ports[i] = socket.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket socket : sockets) {
                socket.close();
            }
        }
    }

    static boolean isListening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(LOOPBACK, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void sleep(Duration duration) throws IOException {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    // ---- command line: start | stop | status <dir> ------------------------------------------------------

    /**
     * {@code start <dir>}: start both servers, write {@code <dir>/stack.env} and exit leaving them running.
     * {@code stop <dir>}: stop the servers named in {@code stack.env}. {@code status <dir>}: report them.
     * The broker's default partition count can be set with {@code -Dfluxfleet.stack.partitions=N}.
     */
    public static void main(String[] args) {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: LocalStack start|stop|status [dir]   (dir defaults to .stack)");
            System.exit(2);
        }
        Path dir = Path.of(args.length == 2 ? args[1] : ".stack").toAbsolutePath().normalize();
        try {
            int exitCode = switch (args[0]) {
                case "start" -> startDetached(dir);
                case "stop" -> stopDetached(dir);
                case "status" -> status(dir);
                default -> {
                    System.err.println("unknown command '" + args[0] + "'; expected start, stop or status");
                    yield 2;
                }
            };
            System.exit(exitCode);
        } catch (IOException | RuntimeException e) {
            System.err.println("LocalStack " + args[0] + " failed: " + e.getMessage());
            System.exit(1);
        }
    }

    private static int startDetached(Path dir) throws IOException {
        Map<String, String> existing = readEnvFile(dir);
        if (!existing.isEmpty()) {
            boolean kafkaUp = runningServer(existing, "FLUXFLEET_KAFKA_PID", KAFKA_MAIN_CLASS, dir).isPresent();
            boolean s3Up = runningServer(existing, "FLUXFLEET_S3_PID", S3PROXY_MAIN_CLASS, dir).isPresent();
            if (kafkaUp && s3Up) {
                System.out.println("already running; " + dir.resolve(ENV_FILE) + ":");
                existing.forEach((key, value) -> System.out.println("  " + key + "=" + value));
                return 0;
            }
            if (kafkaUp || s3Up) {
                System.err.println("only part of the stack in " + dir + " is running; run 'stop " + dir + "' first");
                return 1;
            }
        }
        int partitions = Integer.getInteger("fluxfleet.stack.partitions", 1);
        long startedAt = System.nanoTime();
        LocalStack stack = start(dir, Settings.defaults().withDefaultPartitions(partitions));
        Map<String, String> env = new LinkedHashMap<>();
        env.put("FLUXFLEET_KAFKA_BOOTSTRAP", stack.bootstrapServers());
        env.put("FLUXFLEET_S3_ENDPOINT", stack.s3Endpoint());
        env.put("FLUXFLEET_S3_ACCESS_KEY", stack.accessKey());
        env.put("FLUXFLEET_S3_SECRET_KEY", stack.secretKey());
        env.put("FLUXFLEET_S3_REGION", S3_REGION);
        env.put("FLUXFLEET_KAFKA_PID", String.valueOf(stack.kafkaPid()));
        env.put("FLUXFLEET_S3_PID", String.valueOf(stack.s3Pid()));
        env.put("FLUXFLEET_STACK_DIR", dir.toString());
        writeEnvFile(dir, env);
        stack.detach();
        System.out.printf("local stack up in %.1f s%n", (System.nanoTime() - startedAt) / 1e9);
        System.out.println("  Kafka   " + stack.bootstrapServers() + "   pid " + stack.kafkaPid() + "   log " + stack.kafkaLog());
        System.out.println("  S3      " + stack.s3Endpoint() + "   pid " + stack.s3Pid() + "   log " + stack.s3Log());
        System.out.println("  env     " + dir.resolve(ENV_FILE) + "   (source it: set -a; . " + dir.resolve(ENV_FILE) + "; set +a)");
        return 0;
    }

    private static int stopDetached(Path dir) throws IOException {
        Map<String, String> env = readEnvFile(dir);
        if (env.isEmpty()) {
            System.out.println("nothing to stop: no " + dir.resolve(ENV_FILE));
            return 0;
        }
        Duration grace = Settings.defaults().stopTimeout();
        stopServer(env, "FLUXFLEET_S3_PID", S3PROXY_MAIN_CLASS, dir, "S3Proxy", grace);
        stopServer(env, "FLUXFLEET_KAFKA_PID", KAFKA_MAIN_CLASS, dir, "Kafka broker", grace);
        Files.deleteIfExists(dir.resolve(ENV_FILE));
        System.out.println("stopped; data and logs stay in " + dir);
        return 0;
    }

    private static void stopServer(Map<String, String> env, String pidKey, String mainClass, Path dir,
                                   String name, Duration grace) {
        Optional<ProcessHandle> server = runningServer(env, pidKey, mainClass, dir);
        if (server.isEmpty()) {
            System.out.println("  " + name + ": not running (pid " + env.getOrDefault(pidKey, "?") + ")");
            return;
        }
        boolean clean = ServerProcess.terminate(server.get(), grace);
        System.out.println("  " + name + ": pid " + server.get().pid() + (clean ? " stopped" : " killed after " + grace.toSeconds() + " s"));
    }

    private static int status(Path dir) throws IOException {
        Map<String, String> env = readEnvFile(dir);
        if (env.isEmpty()) {
            System.out.println("not running: no " + dir.resolve(ENV_FILE));
            return 3;
        }
        boolean kafkaUp = reportServer(env, "FLUXFLEET_KAFKA_PID", KAFKA_MAIN_CLASS, dir, "Kafka  ",
                env.get("FLUXFLEET_KAFKA_BOOTSTRAP"));
        boolean s3Up = reportServer(env, "FLUXFLEET_S3_PID", S3PROXY_MAIN_CLASS, dir, "S3     ",
                env.get("FLUXFLEET_S3_ENDPOINT"));
        System.out.println("  env     " + dir.resolve(ENV_FILE));
        return kafkaUp && s3Up ? 0 : 3;
    }

    private static boolean reportServer(Map<String, String> env, String pidKey, String mainClass, Path dir,
                                        String label, String address) {
        boolean alive = runningServer(env, pidKey, mainClass, dir).isPresent();
        int port = address == null ? -1 : Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        boolean listening = port > 0 && isListening(port);
        System.out.println("  " + label + " " + address + "   pid " + env.get(pidKey) + " "
                + (alive ? "running" : "NOT running") + ", port " + (listening ? "listening" : "NOT listening"));
        return alive && listening;
    }

    /** Live Kafka/S3Proxy processes started by a LocalStack on {@code dir}, found by their marker argument. */
    static List<ProcessHandle> serversOf(Path dir) {
        String marker = WORK_DIR_MARKER + dir;
        return ProcessHandle.allProcesses()
                .filter(handle -> handle.info().arguments().map(List::of).map(args -> args.contains(marker)).orElse(false))
                .toList();
    }

    /** The process behind a pid in stack.env, only if it is still that server of that work directory. */
    private static Optional<ProcessHandle> runningServer(Map<String, String> env, String pidKey, String mainClass, Path dir) {
        String pid = env.get(pidKey);
        if (pid == null || !pid.matches("\\d+")) {
            return Optional.empty();
        }
        return ProcessHandle.of(Long.parseLong(pid))
                .filter(ProcessHandle::isAlive)
                .filter(handle -> handle.info().arguments()
                        .map(List::of)
                        .map(arguments -> arguments.contains(mainClass) && arguments.contains(WORK_DIR_MARKER + dir))
                        .orElse(false));
    }

    private static void writeEnvFile(Path dir, Map<String, String> env) throws IOException {
        StringBuilder text = new StringBuilder("# fluxfleet local stack, written by " + LocalStack.class.getName()
                + " at " + Instant.now() + "\n# use: set -a; . " + dir.resolve(ENV_FILE) + "; set +a\n");
        env.forEach((key, value) -> text.append(key).append('=').append(shellQuoted(value)).append('\n'));
        Path partial = dir.resolve(ENV_FILE + ".tmp");
        Files.writeString(partial, text, StandardCharsets.UTF_8);
        Files.move(partial, dir.resolve(ENV_FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Reads KEY=value lines of stack.env (single quotes as written by {@link #shellQuoted}); empty if absent. */
    static Map<String, String> readEnvFile(Path dir) throws IOException {
        Path file = dir.resolve(ENV_FILE);
        Map<String, String> env = new LinkedHashMap<>();
        if (!Files.isRegularFile(file)) {
            return env;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            int equals = line.indexOf('=');
            if (line.isBlank() || line.startsWith("#") || equals < 1) {
                continue;
            }
            String value = line.substring(equals + 1);
            if (value.length() >= 2 && value.startsWith("'") && value.endsWith("'")) {
                value = value.substring(1, value.length() - 1).replace("'\\''", "'");
            }
            env.put(line.substring(0, equals), value);
        }
        return env;
    }

    private static String shellQuoted(String value) {
        return value.matches("[A-Za-z0-9_@%+=:,./-]*") ? value : "'" + value.replace("'", "'\\''") + "'";
    }

    @Override
    public String toString() {
        return "LocalStack[kafka=" + bootstrapServers() + ", s3=" + s3Endpoint() + ", dir=" + workDir + "]";
    }
}
