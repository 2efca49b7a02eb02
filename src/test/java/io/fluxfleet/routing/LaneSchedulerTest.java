package io.fluxfleet.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The turn order of {@link LaneScheduler} with one turn: records queue up while it is held, then each
 * takes its turn and gives it back at once; the order of the turns is the scheduler's decision alone.
 */
@Timeout(30)
class LaneSchedulerTest {

    private final List<String> order = Collections.synchronizedList(new ArrayList<>());
    private final List<Thread> threads = new ArrayList<>();

    /** Mutation check: with next() scanning LOW, NORMAL, HIGH the order came out low first and the test failed. */
    @Test
    void theHighestWaitingLaneGoesFirstAndFirstComeFirstServedWithinALane() throws Exception {
        LaneScheduler s = new LaneScheduler(1, 0);
        LaneScheduler.Turn busy = s.await(Lane.NORMAL, () -> false);
        queue(s, "low-1", Lane.LOW);
        queue(s, "normal-1", Lane.NORMAL);
        queue(s, "high-1", Lane.HIGH);
        queue(s, "high-2", Lane.HIGH);
        queue(s, "normal-2", Lane.NORMAL);
        busy.close();
        joinAll();
        assertEquals(List.of("high-1", "high-2", "normal-1", "normal-2", "low-1"), order);
    }

    /** Mutation check: with the low-share rule removed from next() low-1 came last and the test failed. */
    @Test
    void theLowLaneGetsEveryNthTurnWhileItWaits() throws Exception {
        LaneScheduler s = new LaneScheduler(1, 3);
        LaneScheduler.Turn busy = s.await(Lane.HIGH, () -> false);
        queue(s, "low-1", Lane.LOW);
        queue(s, "low-2", Lane.LOW);
        for (int i = 1; i <= 5; i++) {
            queue(s, "high-" + i, Lane.HIGH);
        }
        busy.close();
        joinAll();
        // the turn given while 'busy' did not count (no low job waited yet): 2 high, 1 low, 2 high, 1 low, 1 high
        assertEquals(List.of("high-1", "high-2", "low-1", "high-3", "high-4", "low-2", "high-5"), order);
    }

    @Test
    void aStoppedWorkerHandsTheWaitingRecordBack() throws Exception {
        LaneScheduler s = new LaneScheduler(1, 0);
        LaneScheduler.Turn busy = s.await(Lane.NORMAL, () -> false);
        AtomicBoolean stopped = new AtomicBoolean();
        Thread t = new Thread(() -> {
            try {
                assertNull(s.await(Lane.HIGH, stopped::get));
                order.add("handed back");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        awaitWaiting(s, Lane.HIGH, 1);
        stopped.set(true);
        t.join();
        assertEquals(List.of("handed back"), order);
        assertEquals(0, s.waiting(Lane.HIGH));
        busy.close();
    }

    @Test
    void refusesAShareOfOne() {
        assertThrows(IllegalArgumentException.class, () -> new LaneScheduler(1, 1));
    }

    /** Starts a record that waits for its turn, takes it, records itself and gives the turn back. */
    private void queue(LaneScheduler s, String name, Lane lane) throws InterruptedException {
        int before = s.waiting(lane);
        Thread t = new Thread(() -> {
            try (LaneScheduler.Turn turn = s.await(lane, () -> false)) {
                order.add(name);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, name);
        t.start();
        threads.add(t);
        awaitWaiting(s, lane, before + 1); // queued in this order
    }

    private static void awaitWaiting(LaneScheduler s, Lane lane, int n) throws InterruptedException {
        while (s.waiting(lane) < n) {
            Thread.sleep(5);
        }
    }

    private void joinAll() throws InterruptedException {
        for (Thread t : threads) {
            t.join();
        }
    }
}
