package io.fluxfleet.gateway;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One SSE stream of a job: the events the client has not seen from the job's state, then live
 * ones from the {@link EventFeed}, each once (by CloudEvents id), closed after the terminal event.
 */
final class JobEventStream {

    private final SseEventSink sink;
    private final Sse sse;
    private final Set<String> sent = new HashSet<>();
    private Runnable unsubscribe = () -> { };
    private Runnable stopHeartbeat = () -> { };
    private boolean closed;
    /** Live events that arrive while the history is replayed wait here, to keep the order. */
    private List<LiveEvent> pending = new java.util.ArrayList<>();

    JobEventStream(SseEventSink sink, Sse sse) {
        this.sink = sink;
        this.sse = sse;
    }

    /** Subscribes first (buffering, so nothing is lost), then sends the history the client has not seen. */
    void open(EventFeed feed, JobState state) {
        Runnable stop = feed.subscribe(state.jobId(), this::onLive);
        synchronized (this) {
            unsubscribe = stop;
            if (closed) {
                stop.run();
                return;
            }
            for (LiveEvent e : history(state)) {
                send(e);
            }
            List<LiveEvent> waiting = pending;
            pending = null;
            waiting.forEach(this::send);
        }
    }

    private synchronized void onLive(LiveEvent e) {
        if (pending != null) {
            pending.add(e);
        } else {
            send(e);
        }
    }

    /** The job's events with data, in order (superseded progress skipped). */
    static List<LiveEvent> history(JobState state) {
        return state.events().stream()
                .filter(e -> e.data() != null)
                .map(e -> new LiveEvent(e.id(), e.type(), e.data().toString(), isTerminal(e)))
                .toList();
    }

    /** Marks the events the client already has (see {@link ResumePoint}); they are never sent again. */
    synchronized void skip(Set<String> seen) {
        sent.addAll(seen);
    }

    private static boolean isTerminal(JobState.EventEntry e) {
        if (io.fluxfleet.job.JobEvent.COMPLETED.equals(e.type())) {
            return true;
        }
        return io.fluxfleet.job.JobEvent.FAILED.equals(e.type()) && !e.data().path("retryable").asBoolean(false);
    }

    synchronized void send(LiveEvent e) {
        if (closed || !sent.add(e.id())) {
            return;
        }
        if (sink.isClosed()) {
            close();
            return;
        }
        sink.send(sse.newEventBuilder().id(e.id()).name(e.type()).mediaType(MediaType.APPLICATION_JSON_TYPE)
                .data(e.json()).build()).whenComplete((ok, failure) -> {
                    if (failure != null) {
                        close();
                    }
                });
        if (e.terminal()) {
            close();
        }
    }

    /**
     * A comment line ({@code : keep-alive}) every {@code every} while the stream is open, so that proxies
     * and load balancers with an idle timeout keep it; a failed write also finds a client that left.
     */
    synchronized void keepAlive(io.vertx.core.Vertx vertx, java.time.Duration every) {
        if (closed || every.isZero() || every.isNegative()) {
            return;
        }
        long timer = vertx.setPeriodic(every.toMillis(), id -> heartbeat());
        stopHeartbeat = () -> vertx.cancelTimer(timer);
    }

    private synchronized void heartbeat() {
        if (closed) {
            return;
        }
        if (sink.isClosed()) {
            close();
            return;
        }
        sink.send(sse.newEventBuilder().comment("keep-alive").build()).whenComplete((ok, failure) -> {
            if (failure != null) {
                close();
            }
        });
    }

    synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopHeartbeat.run();
        unsubscribe.run();
        sink.close();
    }
}
