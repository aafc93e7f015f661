package org.jevent.eventbase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** regress_minheap.c's randomized heap test, as a property: removal by stored index keeps the heap exact. */
class TimerHeapTest {
    static final class Node extends TimerNode {
        final long deadline;
        final long seq;

        Node(long deadline, long seq) {
            this.deadline = deadline;
            this.seq = seq;
        }
    }

    @Property(tries = 300)
    void minheap_randomized(@ForAll @Size(min = 1, max = 300) List<@IntRange(min = 0, max = 50) Integer> deadlines,
            @ForAll @Size(max = 300) List<@IntRange(min = 0, max = 299) Integer> removals) {
        TimerHeap heap = new TimerHeap();
        List<Node> live = new ArrayList<>();
        long seq = 0;
        for (int d : deadlines) {
            Node n = new Node(d, seq++);
            heap.insert(n, n.deadline, n.seq);
            live.add(n);
        }
        heap.checkInvariants();
        for (int r : removals) {
            if (live.isEmpty()) {
                break;
            }
            Node n = live.remove(r % live.size());
            heap.remove(n);
            assertEquals(-1, n.heapIndex);
            heap.checkInvariants();
        }
        live.sort(Comparator.<Node>comparingLong(x -> x.deadline).thenComparingLong(x -> x.seq));
        for (Node expected : live) {
            assertSame(expected, heap.removeMin());
            heap.checkInvariants();
        }
        assertEquals(0, heap.size());
    }
}
