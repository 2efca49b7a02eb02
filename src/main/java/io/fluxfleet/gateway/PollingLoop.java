package io.fluxfleet.gateway;

/**
 * A daemon thread that runs a Kafka poll loop until stopped: the body checks {@link #running()}
 * between polls, and {@link #stop} waits a bounded time for it to leave.
 */
final class PollingLoop {

    private volatile boolean running;
    private Thread thread;

    synchronized void start(String name, Runnable body) {
        running = true;
        thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.start();
    }

    synchronized void stop(long joinMillis) {
        running = false;
        if (thread != null) {
            try {
                thread.join(joinMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            thread = null;
        }
    }

    boolean running() {
        return running;
    }
}
