package io.fluxfleet.gateway;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The gateway role's settings ({@code fluxfleet.gateway.*}). The profile {@code gateway}
 * ({@code QUARKUS_PROFILE=gateway}) turns the role on and the worker's channels and model off; see
 * docs/gateway.md.
 */
@ConfigMapping(prefix = "fluxfleet.gateway")
public interface GatewayConfig {

    /** Serve /v1 and run the job-state topology and the webhook dispatcher. */
    @WithDefault("false")
    boolean enabled();

    /** This instance is only a gateway (profile gateway): the worker's slot pool loads no model. */
    @WithDefault("false")
    boolean only();

    Topics topics();

    Limits limits();

    State state();

    Submit submit();

    Webhooks webhooks();

    Sse sse();

    interface Sse {
        /** A comment line on every open event stream this often, so that proxies do not cut idle streams. */
        @WithDefault("PT15S")
        Duration heartbeat();

        /**
         * How long a resume waits for the gateway to learn the event that {@code Last-Event-ID} names (the
         * job-state view and the live feed both rebuild after a restart) before it sends the whole history.
         */
        @WithDefault("PT10S")
        Duration resumeWait();
    }

    interface Topics {
        /** Compacted: key jobId, value the folded job state (written by the topology). */
        @WithDefault("fluxfleet.gateway.job-state")
        String state();

        /** Compacted: key tenant, NUL, inverted submit time, NUL, jobId; value a summary (the job list). */
        @WithDefault("fluxfleet.gateway.job-index")
        String index();

        /** Webhook deliveries waiting for an attempt (key jobId). */
        @WithDefault("fluxfleet.gateway.webhooks")
        String webhooks();

        /** Webhook deliveries given up on (key jobId); folded into the job state. */
        @WithDefault("fluxfleet.gateway.webhooks.dlq")
        String webhookDlq();
    }

    interface State {
        /** Kafka Streams application.id; shared by every gateway replica. */
        @WithDefault("fluxfleet-gateway")
        String applicationId();

        /** RocksDB directory; a fresh one is rebuilt from the topics. */
        @WithDefault("${java.io.tmpdir}/fluxfleet-gateway-state")
        Path dir();

        /** A job is forgotten this long after its last event. */
        @WithDefault("P7D")
        Duration retention();

        /** How often the topology looks for jobs past retention. */
        @WithDefault("PT10M")
        Duration retentionScan();

        /** Partitions of the gateway's own topics when it creates them. */
        @WithDefault("4")
        int partitions();

        @WithDefault("1")
        short replicationFactor();

        /** Kafka Streams commit interval: the lag of GET and the job list behind the events topic. */
        @WithDefault("100")
        long commitIntervalMs();
    }

    /** Abuse limits, per tenant; {@code tenant-overrides.<id>.*} replaces the defaults for one tenant. */
    interface Limits {
        /** Token bucket refill: submits and cancels per second. */
        @WithDefault("10")
        double requestsPerSecond();

        /** Token bucket size: the burst above the rate. */
        @WithDefault("20")
        long burst();

        /** Jobs not completed or failed yet; a submit above it gets 429. */
        @WithDefault("100")
        int maxInFlight();

        java.util.Map<String, TenantLimits> tenantOverrides();

        interface TenantLimits {
            Optional<Double> requestsPerSecond();

            Optional<Long> burst();

            Optional<Integer> maxInFlight();
        }
    }

    interface Submit {
        /** How long POST /v1/jobs waits for the broker's ack (acks=all) before answering 503. */
        @WithDefault("PT30S")
        Duration ackTimeout();

        /** Largest nesting of the JSON body. */
        @WithDefault("8")
        int maxJsonDepth();

        /** Longest number literal (digits) in the JSON body. */
        @WithDefault("24")
        int maxNumberLength();

        /** Jobs per page of GET /v1/jobs at most. */
        @WithDefault("100")
        int maxPageSize();
    }

    interface Webhooks {
        /** Retry a delivery this long after its first attempt, then dead-letter it. */
        @WithDefault("PT24H")
        Duration maxAge();

        @WithDefault("PT5S")
        Duration initialBackoff();

        @WithDefault("PT1H")
        Duration maxBackoff();

        /** Connect + response timeout of one attempt. */
        @WithDefault("PT10S")
        Duration timeout();

        /** Attempts in flight per tenant: a slow receiver holds only its own tenant's slots. */
        @WithDefault("4")
        int perTenantConcurrency();

        /** Plain http targets (development); production requires https. */
        @WithDefault("false")
        boolean allowHttp();

        /** Loopback, private, link-local and other internal addresses as targets (tests only). */
        @WithDefault("false")
        boolean allowPrivateAddresses();

        /** Deliveries read from the topic but not finished, at most; the consumer pauses above it. */
        @WithDefault("10000")
        int maxPending();

        /** Events a job's webhook gets when it names none. */
        @WithDefault("io.fluxfleet.job.completed,io.fluxfleet.job.failed")
        java.util.List<String> defaultEvents();

        /** Per-tenant default webhook URL: fluxfleet.gateway.webhooks.tenant-urls.acme=https://... */
        java.util.Map<String, String> tenantUrls();

        Optional<String> userAgent();
    }
}
