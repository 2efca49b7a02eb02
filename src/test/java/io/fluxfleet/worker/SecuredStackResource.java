package io.fluxfleet.worker;

import io.fluxfleet.devstack.KafkaSecurity;
import io.fluxfleet.devstack.LocalStack;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * The local stack with a broker that speaks SASL_SSL only (SCRAM-SHA-512 over TLS with a certificate
 * generated here), as production clusters do; the worker gets the security settings as kafka.*
 * properties, nothing else.
 */
public class SecuredStackResource extends FleetStackResource {

    static final String BROKER_USER = "admin";
    static final String WORKER_USER = "fluxfleet-worker";
    private static final String PASSWORD = "local-test-only";
    private static volatile KafkaSecurity security;

    /** Connection settings of the worker's user, for the test's own clients. */
    static Map<String, Object> clientConnection() {
        LocalStack stack = stack();
        Map<String, Object> c = new LinkedHashMap<>(security.clientProperties(WORKER_USER));
        c.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        return c;
    }

    @Override
    protected LocalStack startStack(Path workDir, LocalStack.Settings settings) throws IOException {
        Map<String, String> users = new LinkedHashMap<>();
        users.put(BROKER_USER, PASSWORD + "-admin"); // the broker's own user comes first
        users.put(WORKER_USER, PASSWORD + "-worker");
        security = TlsFiles.generate(workDir.resolve("tls"), PASSWORD, users);
        return LocalStack.startSecured(workDir.resolve("stack"), settings, security);
    }

    @Override
    protected Map<String, Object> connection(LocalStack stack) {
        Map<String, Object> c = new LinkedHashMap<>(security.clientProperties(WORKER_USER));
        c.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        return c;
    }
}
