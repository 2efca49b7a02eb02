package io.fluxfleet.gateway;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * One lane per tenant with at most N attempts in flight: a slow or dead receiver fills only its own
 * tenant's lane, every other tenant's deliveries go on.
 */
final class WebhookLanes {

    private final int perTenant;
    private final Map<String, Lane> lanes = new ConcurrentHashMap<>();

    WebhookLanes(int perTenant) {
        this.perTenant = Math.max(1, perTenant);
    }

    /** Runs {@code attempt} when the tenant has a free slot; it calls the Runnable it gets once finished. */
    void run(String tenant, Consumer<Runnable> attempt) {
        lanes.computeIfAbsent(tenant == null ? "" : tenant, t -> new Lane()).offer(attempt);
    }

    private final class Lane {
        private int active;
        private final Deque<Consumer<Runnable>> waiting = new ArrayDeque<>();

        void offer(Consumer<Runnable> attempt) {
            synchronized (this) {
                if (active >= perTenant) {
                    waiting.add(attempt);
                    return;
                }
                active++;
            }
            start(attempt);
        }

        private void start(Consumer<Runnable> attempt) {
            try {
                attempt.accept(this::finished);
            } catch (RuntimeException e) {
                finished();
                throw e;
            }
        }

        private void finished() {
            Consumer<Runnable> next;
            synchronized (this) {
                next = waiting.poll();
                if (next == null) {
                    active--;
                    return;
                }
            }
            start(next);
        }
    }
}
