package io.fluxfleet.devstack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The files a local Kafka node starts from: its server.properties and its log4j2 configuration. */
final class BrokerFiles {

    private BrokerFiles() {
    }

    static void writeProperties(Path file, String comment, Map<String, Object> properties) throws IOException {
        StringBuilder text = new StringBuilder("# ").append(comment).append('\n');
        properties.forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    /** Logs to stdout, which the starter appends to the node's log file. */
    static void writeLogConfig(Path dir) throws IOException {
        Files.writeString(dir.resolve("log4j2.properties"), String.join("\n",
                "rootLogger.level = INFO",
                "rootLogger.appenderRef.stdout.ref = STDOUT",
                "appender.stdout.type = Console",
                "appender.stdout.name = STDOUT",
                "appender.stdout.layout.type = PatternLayout",
                "appender.stdout.layout.pattern = [%d] %p %m (%c)%n",
                // Skips the dump of the full broker config at every start: it is in server.properties.
                "logger.config.name = org.apache.kafka.common.config.AbstractConfig",
                "logger.config.level = WARN",
                ""), StandardCharsets.UTF_8);
    }
}
