package io.fluxfleet.devstack;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A SASL_SSL-only client listener for the local broker, as production clusters have it: SCRAM-SHA-512
 * users (created when the log dir is formatted, {@code --add-scram}) and TLS with a key store the
 * caller provides (tests generate one). The broker then has no plaintext listener a client could use;
 * only its controller listener, which serves no client requests, stays plaintext.
 *
 * @param keyStore   PKCS12 key store with the broker's key and certificate (SAN 127.0.0.1)
 * @param trustStore PKCS12 trust store with that certificate, for the broker's own inter-broker client
 *                   and for clients
 * @param password   password of both stores and of the key
 * @param users      SCRAM users, name to password; the first is the broker's own (inter-broker) user
 */
public record KafkaSecurity(Path keyStore, Path trustStore, String password, Map<String, String> users) {

    public static final String PROTOCOL = "SASL_SSL";
    public static final String MECHANISM = "SCRAM-SHA-512";

    public KafkaSecurity {
        if (users.isEmpty()) {
            throw new IllegalArgumentException("at least one SCRAM user (the broker's own) is needed");
        }
        users = new LinkedHashMap<>(users);
    }

    /** Replaces the client listener of a broker+controller config with SASL_SSL. */
    void applyTo(Map<String, Object> broker, String host, int port) {
        String adminUser = users.keySet().iterator().next();
        String controller = String.valueOf(broker.get("listeners")).replaceAll("^.*(CONTROLLER://[^,]+).*$", "$1");
        broker.put("listeners", PROTOCOL + "://" + host + ":" + port + "," + controller);
        broker.put("advertised.listeners", PROTOCOL + "://" + host + ":" + port);
        broker.put("listener.security.protocol.map", PROTOCOL + ":" + PROTOCOL + ",CONTROLLER:PLAINTEXT");
        broker.put("inter.broker.listener.name", PROTOCOL);
        broker.put("sasl.enabled.mechanisms", MECHANISM);
        broker.put("sasl.mechanism.inter.broker.protocol", MECHANISM);
        broker.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
                jaas(adminUser, users.get(adminUser)));
        broker.put("ssl.keystore.type", "PKCS12");
        broker.put("ssl.keystore.location", keyStore);
        broker.put("ssl.keystore.password", password);
        broker.put("ssl.key.password", password);
        broker.put("ssl.truststore.type", "PKCS12");
        broker.put("ssl.truststore.location", trustStore);
        broker.put("ssl.truststore.password", password);
    }

    /** Arguments for {@code kafka-storage format}: one {@code --add-scram} per user. */
    List<String> formatArguments() {
        List<String> args = new ArrayList<>();
        users.forEach((name, secret) -> {
            args.add("--add-scram");
            args.add(MECHANISM + "=[name=" + name + ",password=" + secret + "]");
        });
        return args;
    }

    /** What a client needs besides bootstrap.servers to connect as user (plain Kafka client property names). */
    public Map<String, Object> clientProperties(String user) {
        String secret = users.get(user);
        if (secret == null) {
            throw new IllegalArgumentException("no SCRAM user " + user);
        }
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("security.protocol", PROTOCOL);
        p.put("sasl.mechanism", MECHANISM);
        p.put("sasl.jaas.config", jaas(user, secret));
        p.put("ssl.truststore.type", "PKCS12");
        p.put("ssl.truststore.location", trustStore.toString());
        p.put("ssl.truststore.password", password);
        return p;
    }

    private static String jaas(String user, String secret) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + secret + "\";";
    }
}
