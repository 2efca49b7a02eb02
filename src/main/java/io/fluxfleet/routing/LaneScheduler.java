package io.fluxfleet.routing;

import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Who starts next when a worker has records of several lanes in hand: a render turn (one per slot)
 * goes to the highest lane with a record waiting, first come first served within a lane, except that
 * while the low lane waits it gets every {@code lowShare}-th turn (anti-starvation: at least one low
 * job in every {@code lowShare} starts; 0 turns the share off and low waits for the higher lanes to
 * drain). A record that waits here holds its lane's consumer back (its handler is busy), which is what
 * pauses a lower lane while a higher one has records.
 */
public final class LaneScheduler {

    /** A render turn; close it when the job's handling is over. */
    public interface Turn extends AutoCloseable {
        @Override
        void close();
    }

    private final int turns;
    private final int lowShare;
    private final Map<Lane, ArrayDeque<Object>> waiting = new EnumMap<>(Lane.class);
    private int busy;
    private int higherStartsWhileLowWaited;

    public LaneScheduler(int turns, int lowShare) {
        if (turns < 1 || lowShare < 0 || lowShare == 1) {
            throw new IllegalArgumentException("lane scheduler: need turns >= 1 and low-share 0 (off) or >= 2, got "
                    + turns + " and " + lowShare + " (fluxfleet.lanes.low-share)");
        }
        this.turns = turns;
        this.lowShare = lowShare;
        for (Lane lane : Lane.values()) {
            waiting.put(lane, new ArrayDeque<>());
        }
    }

    /**
     * Waits for this record's turn. Returns null, without a turn, once {@code stopped} is true (the
     * record is then handed back).
     */
    public synchronized Turn await(Lane lane, BooleanSupplier stopped) throws InterruptedException {
        Object ticket = new Object();
        ArrayDeque<Object> queue = waiting.get(lane);
        queue.addLast(ticket);
        try {
            while (busy >= turns || next() != lane || queue.peekFirst() != ticket) {
                if (stopped.getAsBoolean()) {
                    return null;
                }
                wait(100);
            }
        } finally {
            queue.remove(ticket);
            notifyAll();
        }
        started(lane);
        busy++;
        return this::release;
    }

    /** Records of this lane waiting for a turn. */
    public synchronized int waiting(Lane lane) {
        return waiting.get(lane).size();
    }

    private synchronized void release() {
        busy--;
        notifyAll();
    }

    /** The lane whose first record goes next. */
    private Lane next() {
        boolean lowWaits = !waiting.get(Lane.LOW).isEmpty();
        if (lowWaits && lowShare > 0 && higherStartsWhileLowWaited >= lowShare - 1) {
            return Lane.LOW;
        }
        for (Lane lane : Lane.values()) {
            if (!waiting.get(lane).isEmpty()) {
                return lane;
            }
        }
        return null;
    }

    private void started(Lane lane) {
        if (lane == Lane.LOW || waiting.get(Lane.LOW).isEmpty()) {
            higherStartsWhileLowWaited = 0;
        } else {
            higherStartsWhileLowWaited++;
        }
    }
}
