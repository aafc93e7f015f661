package org.jevent.evbuffer;

import static org.jevent.evbuffer.RegressSupport.b;
import static org.jevent.evbuffer.RegressSupport.freeAll;
import static org.jevent.evbuffer.RegressSupport.valid;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Which buffer's callbacks run first when bytes move between two buffers, as libevent 2.1's
 * buffer.c orders them: {@code evbuffer_add_buffer} and {@code evbuffer_prepend_buffer} run the
 * source's ({@code inbuf}) before the destination's; {@code evbuffer_remove_buffer} of everything
 * is an add_buffer, so the source's first too; a partial {@code evbuffer_remove_buffer} runs the
 * destination's first (its {@code evbuffer_add} into dst reports before src's counters are
 * invoked); {@code evbuffer_add_buffer_reference} runs only the destination's. Each expectation
 * below was also printed by a C program against the system's libevent 2.1.
 */
class EvBufferCallbackOrderTest {
    private final List<String> log = new ArrayList<>();
    private final EvBuffer b0 = listened(0);
    private final EvBuffer b1 = listened(1);

    private EvBuffer listened(int id) {
        EvBuffer b = new EvBuffer();
        b.addCallback((buf, info) -> log.add("cb" + id + "(" + info.origSize() + "," + info.nAdded() + ","
                + info.nDeleted() + ")"));
        return b;
    }

    @AfterEach
    void free() {
        valid(b0, b1);
        freeAll(b0, b1);
    }

    /** The case the differential run against libevent found. */
    @Test
    void prependBufferRunsTheSourceFirst() {
        b0.add(b("abcd"));
        log.clear();
        b1.prependBuffer(b0);
        assertEquals(List.of("cb0(4,0,4)", "cb1(0,4,0)"), log);
    }

    @Test
    void prependBufferOntoDataRunsTheSourceFirst() {
        b0.add(b("abcd"));
        b1.add(b("xy"));
        log.clear();
        b1.prependBuffer(b0);
        assertEquals(List.of("cb0(4,0,4)", "cb1(2,4,0)"), log);
    }

    @Test
    void addBufferRunsTheSourceFirst() {
        b0.add(b("abcd"));
        b1.add(b("xy"));
        log.clear();
        b1.addBuffer(b0);
        assertEquals(List.of("cb0(4,0,4)", "cb1(2,4,0)"), log);
    }

    @Test
    void removeBufferOfEverythingRunsTheSourceFirst() {
        b0.add(b("abcd"));
        log.clear();
        assertEquals(4, b0.removeBuffer(b1, 10));
        assertEquals(List.of("cb0(4,0,4)", "cb1(0,4,0)"), log);
    }

    @Test
    void partialRemoveBufferRunsTheDestinationFirst() {
        b0.add(b("abcdef"));
        log.clear();
        assertEquals(2, b0.removeBuffer(b1, 2));
        assertEquals(List.of("cb1(0,2,0)", "cb0(6,0,2)"), log);
    }

    @Test
    void addBufferReferenceRunsOnlyTheDestination() {
        b0.add(b("abcd"));
        log.clear();
        b1.addBufferReference(b0);
        assertEquals(List.of("cb1(0,4,0)"), log);
    }

    /**
     * libevent counts the move on both buffers before it runs either's callbacks, so a source
     * callback (the newest runs first) that writes into the destination makes one destination
     * report covering the move and its write, before the source's older callback runs; the
     * destination then has nothing left to report. C printed {@code cb1(0,5,0) cb0(4,0,4)}.
     */
    @Test
    void aSourceCallbackThatWritesToTheDestinationReportsFirst() {
        b0.add(b("abcd"));
        EvBuffer[] dst = {b1};
        b0.addCallback((buf, info) -> {
            if (info.nDeleted() > 0 && buf.getLength() == 0) {
                dst[0].add(b("!"));
            }
        });
        log.clear();
        b1.addBuffer(b0);
        assertEquals(List.of("cb1(0,5,0)", "cb0(4,0,4)"), log);
        assertEquals("abcd!", RegressSupport.text(b1));
    }

    /**
     * The owner's added-bytes listener ({@link EvBuffer#setAddedListener}): told of every
     * addition (appends, moves in, a partial move in), after the buffer's own callbacks, never of
     * removals; the user's {@code setCallback(null)} does not unhook it.
     */
    @Test
    void addedListenerRunsAfterTheCallbacksOnEveryAdditionOnly() {
        b1.setAddedListener(n -> log.add("listener1(" + n + ")"));
        b1.add(b("abc"));
        assertEquals(List.of("cb1(0,3,0)", "listener1(3)"), log);
        log.clear();
        b1.drain(2);
        assertEquals(List.of("cb1(3,0,2)"), log);
        log.clear();
        b0.add(b("wxyz"));
        log.clear();
        b1.addBuffer(b0);
        assertEquals(List.of("cb0(4,0,4)", "cb1(1,4,0)", "listener1(4)"), log);
        log.clear();
        b0.add(b("12345"));
        log.clear();
        b0.removeBuffer(b1, 2);
        assertEquals(List.of("cb1(5,2,0)", "listener1(2)", "cb0(5,0,2)"), log);
        log.clear();
        b1.setCallback(null);
        b1.prepend(b("p"));
        assertEquals(List.of("listener1(1)"), log);
    }
}
