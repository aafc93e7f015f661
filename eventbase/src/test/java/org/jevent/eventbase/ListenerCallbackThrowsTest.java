package org.jevent.eventbase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11, the descriptor leak: an accept callback that throws before anything took the
 * accepted channel (creating a TLS engine failed with "Too many open files", a bufferevent could
 * not be built) leaves that channel open and unreachable. The loop logs the exception and goes
 * on; nobody will ever read the channel, so not even the peer's close is noticed, and the
 * descriptor stays until the process ends. le-proxy -s -W under a descriptor limit leaked one
 * per failed engine this way (examples fault suite). The listener is the one place that still
 * holds the channel when the callback throws, so it must close it there, but only if the
 * callback did not register it with a selector: a channel that an event or bufferevent took
 * belongs to its new owner, even if the callback failed afterwards.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ListenerCallbackThrowsTest {
    private static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private final EventBase base = new EventBase();
    private final List<SocketChannel> clients = new ArrayList<>();
    private final List<SocketChannel> accepted = new ArrayList<>();

    @AfterEach
    void tearDown() throws IOException {
        for (SocketChannel c : clients) {
            c.close();
        }
        for (SocketChannel c : accepted) {
            c.close();
        }
        base.free();
    }

    /** Accepts one connection with {@code cb}, which ends the loop and then throws. */
    private void acceptOne(EvConnListener.AcceptCallback cb) throws IOException {
        EvConnListener l = EvConnListener.newBind(base, (lis, ch, peer) -> {
            accepted.add(ch);
            base.loopBreak();
            cb.onAccept(lis, ch, peer);
        }, EvConnListener.LEV_OPT_CLOSE_ON_FREE | EvConnListener.LEV_OPT_REUSEABLE, -1, ANY_LOOPBACK);
        clients.add(SocketChannel.open(l.getLocalAddress()));
        base.dispatch();
        l.free();
        assertEquals(1, accepted.size(), "the callback ran once");
    }

    @Test
    void aChannelTheCallbackThrewOnWithoutTakingIsClosed() throws IOException {
        acceptOne((lis, ch, peer) -> {
            throw new IllegalStateException("cannot create the TLS engine: Too many open files");
        });
        assertFalse(accepted.get(0).isOpen(), "the listener closed the channel nobody took");
    }

    @Test
    void aChannelTheCallbackRegisteredBeforeThrowingStaysWithItsOwner() throws IOException {
        Event[] taken = new Event[1];
        acceptOne((lis, ch, peer) -> {
            taken[0] = new Event(base, ch, Event.EV_READ | Event.EV_PERSIST, (ev, what) -> { });
            taken[0].add();
            throw new IllegalStateException("failed after the channel found its owner");
        });
        assertTrue(accepted.get(0).isOpen(), "an event owns the channel: the listener must not close it");
        taken[0].free();
    }
}
