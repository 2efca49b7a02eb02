package io.fluxfleet.console;

import com.fasterxml.jackson.databind.JsonNode;
import io.fluxfleet.gateway.JobState;
import io.fluxfleet.gateway.JobStateStore;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.tenant.Tenant;
import io.fluxfleet.tenant.TenantDirectory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/** The jobs table: rows built from the gateway's job state, filtered, across tenants for an operator. */
@ApplicationScoped
public class JobRows {

    /** One row of the jobs table (also what the live stream sends). */
    public record JobRow(String jobId, String tenant, String state, String preset, String size, int progressPct,
            String queueWait, String renderTime, String worker, Instant submittedAt, Map<String, String> labels,
            String prompt) {
    }

    /** The table's filters; null or blank fields do not filter. */
    public record Filter(String state, String tenant, String label, Instant since) {
        boolean accepts(Map<String, Object> summary) {
            if (blank(state) || state.equals(summary.get("state"))) {
                return label(summary.get("labels")) && time(summary.get("submittedAt"));
            }
            return false;
        }

        private boolean label(Object labels) {
            if (blank(label)) {
                return true;
            }
            int eq = label.indexOf('=');
            String key = eq < 0 ? label : label.substring(0, eq);
            return labels instanceof Map<?, ?> m && m.containsKey(key)
                    && (eq < 0 || label.substring(eq + 1).equals(String.valueOf(m.get(key))));
        }

        private boolean time(Object submittedAt) {
            if (since == null) {
                return true;
            }
            try {
                return submittedAt != null && !Instant.parse(String.valueOf(submittedAt)).isBefore(since);
            } catch (RuntimeException e) {
                return true;
            }
        }

        static boolean blank(String s) {
            return s == null || s.isBlank();
        }
    }

    @Inject
    JobStateStore states;

    @Inject
    TenantDirectory tenants;

    @Inject
    RecentRequests requests;

    /** The newest jobs the viewer may see that the filter accepts. */
    public List<JobRow> list(Viewer viewer, Filter filter, int limit) {
        List<String> scope = new ArrayList<>();
        if (!viewer.operator()) {
            scope.add(viewer.tenant());
        } else if (!Filter.blank(filter.tenant())) {
            scope.add(filter.tenant());
        } else {
            tenants.tenants().stream().map(Tenant::id).forEach(scope::add);
            tenants.defaultTenant().map(Tenant::id).filter(t -> !scope.contains(t)).ifPresent(scope::add);
        }
        if (defaultTenant() != null && scope.contains(defaultTenant())) {
            scope.add(""); // jobs sent over Kafka without a tenant: the default tenant's (dev, demo, test)
        }
        Predicate<Map<String, Object>> accepts = filter::accepts;
        List<JobRow> rows = new ArrayList<>();
        for (String tenant : scope) {
            for (Map<String, Object> summary : states.list(tenant, null, limit, accepts).jobs()) {
                states.get(String.valueOf(summary.get("jobId"))).map(this::row).ifPresent(rows::add);
            }
        }
        return rows.stream().sorted(Comparator.comparing(JobRow::submittedAt,
                Comparator.nullsLast(Comparator.reverseOrder()))).limit(limit).toList();
    }

    /** The job if the viewer may see it. */
    public Optional<JobState> visible(Viewer viewer, String jobId) {
        return states.get(jobId).filter(s -> viewer.sees(tenantOf(s.tenant())));
    }

    /** A job's tenant; a job without one belongs to the default tenant where the fleet has one. */
    public String tenantOf(String jobTenant) {
        return jobTenant != null ? jobTenant : defaultTenant();
    }

    private String defaultTenant() {
        return tenants.defaultTenant().map(Tenant::id).orElse(null);
    }

    public JobRow row(JobState s) {
        JsonNode result = s.result();
        Optional<RecentRequests.Summary> request = requests.get(s.jobId());
        String preset = result != null ? result.path("acceleration").asText()
                : request.map(RecentRequests.Summary::preset).orElse("—");
        String size = result != null ? result.path("width").asInt() + "×" + result.path("height").asInt()
                : request.map(RecentRequests.Summary::size).orElse("—");
        // A failed job keeps the progress it had reached.
        int progress = s.state() == io.fluxfleet.gateway.JobStatus.COMPLETED ? 100
                : s.progress() == null ? 0 : (int) Math.round(100 * s.progress().fraction());
        return new JobRow(s.jobId(), tenantOf(s.tenant()), s.state().wireName(), preset, size, progress,
                queueWait(s), renderTime(result), worker(s), s.submittedAt(), s.labels(),
                request.map(RecentRequests.Summary::prompt).orElse(null));
    }

    static String queueWait(JobState s) {
        return s.events().stream().filter(e -> JobEvent.STARTED.equals(e.type()) && e.data() != null)
                .map(e -> Durations.millis(e.data().path("queueWaitMs").asLong(-1))).reduce((a, b) -> b).orElse("—");
    }

    static String renderTime(JsonNode result) {
        if (result == null) {
            return "—";
        }
        JsonNode t = result.path("timings");
        return Durations.millis(t.path("textEncodeMs").asLong() + t.path("denoiseMs").asLong()
                + t.path("decodeMs").asLong() + t.path("encodeMs").asLong() + t.path("uploadMs").asLong());
    }

    static String worker(JobState s) {
        return s.events().stream().filter(e -> e.data() != null && e.data().hasNonNull("workerId"))
                .map(e -> e.data().path("workerId").asText()).reduce((a, b) -> b).orElse("—");
    }
}
