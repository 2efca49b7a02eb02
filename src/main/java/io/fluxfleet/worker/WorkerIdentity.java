package io.fluxfleet.worker;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.InetAddress;

/** This worker's id: {@code fluxfleet.worker-id}, else {@code <hostname>-<pid>}, safe for a URI path. */
@ApplicationScoped
public class WorkerIdentity {

    @Inject
    FleetConfig config;

    private String id;

    @PostConstruct
    void init() {
        id = sanitize(config.workerId().filter(s -> !s.isBlank()).orElseGet(WorkerIdentity::defaultId));
    }

    public String id() {
        return id;
    }

    static String defaultId() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (Exception e) {
                host = "worker";
            }
        }
        return host + "-" + ProcessHandle.current().pid();
    }

    static String sanitize(String raw) {
        String cleaned = raw.replaceAll("[^A-Za-z0-9._-]", "-");
        return cleaned.length() > 128 ? cleaned.substring(0, 128) : cleaned;
    }
}
