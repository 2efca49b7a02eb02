package io.fluxfleet.worker;

import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.concurrent.CountDownLatch;
import org.jboss.logging.Logger;

/**
 * Where a lane's handed-back record waits while the worker drains: neither acknowledged nor refused until
 * the application stops. An ack would commit the record (the job would be lost); a nack fails the channel,
 * and the failed channel turns liveness DOWN for the whole drain, so the kubelet (or any supervisor) kills
 * the worker while it still finishes the jobs in flight. Hand-backs happen only while the worker stops.
 */
@ApplicationScoped
public class HandedBackRecords {

    private static final Logger LOG = Logger.getLogger(HandedBackRecords.class);

    private final CountDownLatch stopping = new CountDownLatch(1);

    void onStop(@Observes @Priority(1) ShutdownEvent event) {
        stopping.countDown();
    }

    /** Holds the record's handler until the application stops, then lets the hand-back end it (uncommitted). */
    public void hold(HandBack handBack) throws InterruptedException {
        LOG.info(handBack.getMessage());
        stopping.await();
        throw handBack;
    }
}
