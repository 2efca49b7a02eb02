package io.fluxfleet.devstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

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
 *
 * <p>The servers themselves are {@link LocalKafka} and {@link LocalS3}; the command line is {@link StackCommand}.
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

    /** The classpaths of the two servers, resolved once per start. */
    private record Classpaths(String kafka, String s3) {
    }

    private final Path workDir;
    private final StackPorts ports;
    private final LocalKafka kafka;
    private final LocalS3 s3;
    private final Thread shutdownHook = new Thread(this::stopQuietly, "fluxfleet-localstack-shutdown");
    private boolean hookRegistered;

    private LocalStack(Path workDir, Settings settings, Classpaths classpaths, KafkaSecurity security) throws IOException {
        this.workDir = workDir;
        this.ports = StackPorts.free();
        this.kafka = new LocalKafka(workDir, settings, classpaths.kafka(), ports, security);
        this.s3 = new LocalS3(workDir, settings, classpaths.s3(), ports.s3());
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
        List<ProcessHandle> running = StackProcesses.serversOf(dir);
        if (!running.isEmpty()) {
            // Two brokers on one log dir clash: here the second one broke the first one's metadata log.
            throw new IllegalStateException("servers of a stack in " + dir + " are still running (pids "
                    + running.stream().map(h -> String.valueOf(h.pid())).toList() + "); stop them first");
        }
        Files.createDirectories(dir);
        Path projectRoot = StackClasspath.projectRoot();
        Classpaths classpaths = new Classpaths(StackClasspath.resolve(projectRoot, "kafka"),
                StackClasspath.resolve(projectRoot, "s3proxy"));
        for (int attempt = 1; ; attempt++) {
            LocalStack stack = new LocalStack(dir, settings, classpaths, security);
            try {
                stack.startBoth();
                return stack;
            } catch (ServerStartException e) {
                stack.close();
                // Another process may grab a port between our probe and the server's bind: try new ports.
                if (!e.portTaken() || attempt == PORT_ATTEMPTS) {
                    throw e;
                }
            } catch (IOException | RuntimeException e) {
                stack.close();
                throw e;
            }
        }
    }

    private void startBoth() throws IOException {
        kafka.writeConfig();
        s3.writeConfig();
        registerShutdownHook();
        // S3Proxy boots while the Kafka log dir is formatted: both cost seconds of JVM start-up.
        s3.launch();
        kafka.formatLogDirIfNeeded();
        kafka.launch();
        kafka.awaitReady();
        s3.awaitReady();
    }

    // ---- accessors --------------------------------------------------------------------------------------

    /** The SASL_SSL settings of the client listener, or null when it is PLAINTEXT. */
    public KafkaSecurity security() {
        return kafka.security();
    }

    /** {@code 127.0.0.1:<port>} of the client listener (PLAINTEXT, or SASL_SSL with {@link #startSecured}). */
    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    /** {@code http://127.0.0.1:<port>}; path-style bucket addressing. */
    public String s3Endpoint() {
        return s3.endpoint();
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
        return ports.kafka();
    }

    public int kafkaControllerPort() {
        return ports.kafkaController();
    }

    public int s3Port() {
        return ports.s3();
    }

    /** Pid of the broker JVM, or -1 while it is stopped. */
    public long kafkaPid() {
        return kafka.process().pid();
    }

    /** Pid of the S3Proxy JVM, or -1 while it is stopped. */
    public long s3Pid() {
        return s3.process().pid();
    }

    public Path kafkaLog() {
        return kafka.process().logFile();
    }

    public Path s3Log() {
        return s3.process().logFile();
    }

    // ---- fault injection --------------------------------------------------------------------------------

    /** Stops the broker (SIGTERM, then SIGKILL after the stop timeout). Its data dir is kept. */
    public synchronized void stopKafka() {
        kafka.stop();
    }

    /** Starts the broker again on the same ports with the same data and waits until it answers. */
    public synchronized void startKafka() throws IOException {
        kafka.launch();
        kafka.awaitReady();
    }

    /** Stops S3Proxy. Stored objects are kept. */
    public synchronized void stopS3() {
        s3.stop();
    }

    /** Starts S3Proxy again on the same port with the same data and waits until it answers. */
    public synchronized void startS3() throws IOException {
        s3.launch();
        s3.awaitReady();
    }

    // ---- lifecycle --------------------------------------------------------------------------------------

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
        s3.stop();
        kafka.stop();
    }

    private synchronized void registerShutdownHook() {
        if (!hookRegistered) {
            Runtime.getRuntime().addShutdownHook(shutdownHook);
            hookRegistered = true;
        }
    }

    /**
     * {@code start <dir>}: start both servers, write {@code <dir>/stack.env} and exit leaving them running.
     * {@code stop <dir>}: stop the servers named in {@code stack.env}. {@code status <dir>}: report them.
     * The broker's default partition count can be set with {@code -Dfluxfleet.stack.partitions=N}.
     */
    public static void main(String[] args) {
        StackCommand.main(args);
    }

    @Override
    public String toString() {
        return "LocalStack[kafka=" + bootstrapServers() + ", s3=" + s3Endpoint() + ", dir=" + workDir + "]";
    }
}
