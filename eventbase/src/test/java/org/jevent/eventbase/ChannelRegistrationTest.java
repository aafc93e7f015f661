package org.jevent.eventbase;

import static org.jevent.eventbase.Event.EV_PERSIST;
import static org.jevent.eventbase.Event.EV_READ;
import static org.jevent.eventbase.EventBase.EVENT_BASE_COUNT_ADDED;
import static org.jevent.eventbase.EventBase.EVLOOP_ONCE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ChannelRegistration} keeps its first two events in fields and the rest in an array: the
 * events of one channel are dispatched and walked in the order they were added, whichever slot an
 * event sat in when another one left.
 */
class ChannelRegistrationTest {
    private EventBase base;
    private SocketPair pair;
    private final List<Integer> order = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        base = new EventBase();
        pair = SocketPair.open();
        SocketPair.write(pair.a, "x"); // pair.b stays readable: nobody reads it
    }

    @AfterEach
    void tearDown() throws IOException {
        base.free();
        pair.close();
    }

    private Event reader(int id) {
        Event ev = new Event(base, pair.b, EV_READ | EV_PERSIST, (e, what) -> order.add(id));
        ev.add();
        return ev;
    }

    /** The ids dispatched in one turn, and the ids foreachEvent walks, which must agree. */
    private List<Integer> turn() {
        order.clear();
        base.loop(EVLOOP_ONCE);
        List<Integer> dispatched = new ArrayList<>(order);
        List<Integer> walked = new ArrayList<>();
        base.foreachEvent((b, ev) -> {
            order.clear();
            ev.getCallback().call(ev, EV_READ);
            walked.addAll(order);
            return 0;
        });
        assertEquals(dispatched, walked, "walk order");
        assertEquals(dispatched.size(), base.getNumEvents(EVENT_BASE_COUNT_ADDED));
        return dispatched;
    }

    @Test
    void insertion_order_survives_removal_from_every_slot() {
        Event[] evs = new Event[5];
        for (int i = 0; i < evs.length; i++) {
            evs[i] = reader(i);
        }
        assertEquals(List.of(0, 1, 2, 3, 4), turn());

        evs[1].del(); // the second field: the array's first moves into it
        evs[3].del(); // inside the array
        reader(5);
        assertEquals(List.of(0, 2, 4, 5), turn());

        evs[0].del(); // the first field: everything shifts by one
        assertEquals(List.of(2, 4, 5), turn());

        evs[2].del();
        evs[4].del();
        assertEquals(List.of(5), turn());
        reader(6);
        reader(7);
        reader(8);
        assertEquals(List.of(5, 6, 7, 8), turn());
    }

    @Test
    void a_channel_left_without_events_can_take_them_again() {
        Event a = reader(0);
        Event b = reader(1);
        a.del();
        b.del();
        assertEquals(0, base.getNumEvents(EVENT_BASE_COUNT_ADDED));
        assertEquals(1, base.loop(EventBase.EVLOOP_NONBLOCK), "nothing pending");
        b.add();
        a.add();
        assertEquals(List.of(1, 0), turn());
    }
}
