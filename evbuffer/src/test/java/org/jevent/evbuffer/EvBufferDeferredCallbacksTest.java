package org.jevent.evbuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The hook the bufferevent layer uses: callbacks delivered later, changes added up meanwhile. */
class EvBufferDeferredCallbacksTest {
    /** Stands in for an event base's deferred queue: runs what was queued when told to. */
    private final ArrayDeque<Runnable> queue = new ArrayDeque<>();

    private void runQueue() {
        Runnable r;
        while ((r = queue.poll()) != null) {
            r.run();
        }
    }

    @Test
    void deferredCallbacksAccumulateUntilTheQueueRuns() {
        EvBuffer buf = new EvBuffer();
        List<String> deferred = new ArrayList<>();
        List<String> immediate = new ArrayList<>();
        buf.addCallback((b, i) -> deferred.add(i.origSize() + "->" + b.getLength() + " +" + i.nAdded() + " -" + i.nDeleted()));
        CallbackEntry now = buf.addCallback((b, i) -> immediate.add(i.origSize() + "+" + i.nAdded() + "-" + i.nDeleted()));
        buf.callbackSetFlags(now, EvBuffer.EVBUFFER_CB_NODEFER);
        buf.deferCallbacks(queue::add);

        buf.add(new byte[10]);
        buf.drain(3);
        buf.add(new byte[5]);
        assertEquals(List.of(), deferred, "nothing runs before the loop gets to it");
        assertEquals(1, queue.size(), "scheduled once, however many changes");
        // NODEFER callbacks see every change at once, with the total since the last delivery.
        assertEquals(List.of("0+10-0", "0+10-3", "0+15-3"), immediate);

        runQueue();
        assertEquals(List.of("0->12 +15 -3"), deferred);

        buf.drain(12);
        runQueue();
        assertEquals(List.of("0->12 +15 -3", "12->0 +0 -12"), deferred);
        runQueue();
        assertEquals(2, deferred.size(), "no delivery without a change");
        buf.free();
    }

    @Test
    void aCallbackMayRemoveItselfWhileRunning() {
        EvBuffer buf = new EvBuffer();
        List<String> log = new ArrayList<>();
        CallbackEntry[] self = new CallbackEntry[1];
        buf.addCallback((b, i) -> log.add("other " + i.nAdded()));
        self[0] = buf.addCallback((b, i) -> {
            log.add("once " + i.nAdded());
            b.removeCallbackEntry(self[0]);
        });
        buf.add(new byte[2]);
        buf.add(new byte[3]);
        // newest first, as libevent's list insertion at the head does
        assertEquals(List.of("once 2", "other 2", "other 3"), log);
        buf.free();
    }

    @Test
    void aCallbackThatChangesTheBufferSeesItsOwnInfo() {
        EvBuffer buf = new EvBuffer();
        List<String> log = new ArrayList<>();
        buf.addCallback((b, i) -> {
            log.add(i.origSize() + "+" + i.nAdded() + "-" + i.nDeleted());
            if (b.getLength() > 4) {
                b.drain(b.getLength() - 4); // re-enters the callbacks with its own info
            }
        });
        buf.add(new byte[10]);
        assertEquals(List.of("0+10-0", "10+0-6"), log);
        assertEquals(4, buf.getLength());
        buf.free();
    }
}
