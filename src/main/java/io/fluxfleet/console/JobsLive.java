package io.fluxfleet.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fluxfleet.gateway.JobState;
import io.fluxfleet.job.JobJson;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The jobs table's live feed: every change of a job's state (the gateway's compacted job-state topic)
 * becomes a row sent as SSE event {@code job} to the open tables whose viewer may see the job and whose
 * filters accept it. A table that closes is dropped on the next send.
 */
@ApplicationScoped
public class JobsLive {

    private static final ObjectMapper JSON = JobJson.newMapper();

    private record Table(Viewer viewer, JobRows.Filter filter, SseEventSink sink, Sse sse) {
    }

    @Inject
    JobRows rows;

    private final List<Table> tables = new CopyOnWriteArrayList<>();

    public void open(Viewer viewer, JobRows.Filter filter, SseEventSink sink, Sse sse) {
        tables.add(new Table(viewer, filter, sink, sse));
        sink.send(sse.newEventBuilder().name("ready").data("{}").build());
    }

    public int open() {
        return tables.size();
    }

    void read(ConsumerRecord<String, byte[]> r) {
        if (r.value() == null || tables.isEmpty()) {
            return;
        }
        JobState state;
        try {
            state = JSON.readValue(r.value(), JobState.class);
        } catch (java.io.IOException e) {
            return;
        }
        JobRows.JobRow row = rows.row(state);
        String json = JobJson.toJson(row);
        Map<String, Object> summary = new HashMap<>();
        summary.put("state", row.state());
        summary.put("labels", row.labels());
        summary.put("submittedAt", row.submittedAt() == null ? null : row.submittedAt().toString());
        for (Table t : tables) {
            if (t.sink().isClosed()) {
                tables.remove(t);
            } else if (t.viewer().sees(row.tenant()) && (JobRows.Filter.blank(t.filter().tenant())
                    || t.filter().tenant().equals(row.tenant())) && t.filter().accepts(summary)) {
                t.sink().send(t.sse().newEventBuilder().name("job").id(state.jobId())
                        .mediaType(MediaType.APPLICATION_JSON_TYPE).data(json).build())
                        .whenComplete((ok, failure) -> {
                            if (failure != null) {
                                tables.remove(t);
                                t.sink().close();
                            }
                        });
            }
        }
    }
}
