package io.fluxfleet.devstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * The Kafka side of a {@link LocalStack}: one KRaft node (broker and controller in one JVM) with its
 * config in {@code kafka/server.properties}, its log dir in {@code kafka/data/} and its output in {@code kafka.log}.
 */
final class LocalKafka {

    private static final int NODE_ID = 1;

    private final Path workDir;
    private final Path dir;
    private final LocalStack.Settings settings;
    private final StackPorts ports;
    private final KafkaSecurity security;
    private final KraftFormat format;
    private final ServerProcess process;

    /** @param security a SASL_SSL-only client listener, or null for a PLAINTEXT one */
    LocalKafka(Path workDir, LocalStack.Settings settings, String classpath, StackPorts ports, KafkaSecurity security) {
        this.workDir = workDir;
        this.dir = workDir.resolve("kafka");
        this.settings = settings;
        this.ports = ports;
        this.security = security;
        ChildJvm jvm = new ChildJvm(StackProcesses.marker(workDir));
        this.format = new KraftFormat(jvm, classpath, workDir, settings.startTimeout());
        this.process = new ServerProcess("Kafka broker", jvm.command(settings.kafkaHeapMb(),
                List.of("-Dlog4j2.configurationFile=" + dir.resolve("log4j2.properties")),
                LocalStack.KAFKA_MAIN_CLASS, dir.resolve("server.properties").toString()),
                classpath, workDir, workDir.resolve("kafka.log"));
    }

    String bootstrapServers() {
        return Loopback.address(ports.kafka());
    }

    KafkaSecurity security() {
        return security;
    }

    ServerProcess process() {
        return process;
    }

    /** Creates the log dir and writes the broker's config files. */
    void writeConfig() throws IOException {
        Files.createDirectories(dir.resolve("data"));
        // A static voter set: the ports live only in this file, so a reused log dir may get new ports.
        String voters = NODE_ID + "@" + Loopback.address(ports.kafkaController());
        // One node: every internal topic has a single replica.
        Map<String, Object> config = new KraftNodeConfig(NODE_ID, voters, ports.kafka(), ports.kafkaController(),
                dir.resolve("data")).properties(settings.defaultPartitions(), 1, 1);
        if (security != null) {
            security.applyTo(config, Loopback.HOST, ports.kafka());
        }
        BrokerFiles.writeProperties(dir.resolve("server.properties"),
                "Single-node KRaft broker+controller on loopback, written by " + LocalStack.class.getName(), config);

        BrokerFiles.writeLogConfig(dir);
    }

    /** Formats the log dir on the first start (with the SCRAM users of a secured listener). */
    void formatLogDirIfNeeded() throws IOException {
        format.formatIfNeeded(dir, workDir.resolve("kafka-format.log"), Uuid.randomUuid().toString(),
                security == null ? List.of() : security.formatArguments());
    }

    /** Starts the broker JVM; {@link #awaitReady()} waits until it serves. */
    void launch() throws IOException {
        process.start();
    }

    void awaitReady() throws IOException {
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
            ServerReadiness.await(process, "describeCluster on " + bootstrapServers(), settings.startTimeout(),
                    () -> !admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty());
        }
    }

    /** SIGTERM, then SIGKILL after the stop timeout. The log dir is kept. */
    void stop() {
        process.stop(settings.stopTimeout());
    }
}
