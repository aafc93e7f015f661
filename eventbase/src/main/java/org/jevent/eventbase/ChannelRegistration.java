package org.jevent.eventbase;

import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Arrays;

/**
 * Everything one base has registered on one channel. NIO allows a single {@link SelectionKey}
 * per channel and selector, while libevent allows any number of events per fd, so the key's
 * attachment is this object: the events in insertion order and the union of their interests.
 *
 * <p>Invariant: {@code events[0..count)} are exactly the inserted I/O events on {@code channel},
 * each with {@code registration == this} and {@code regIndex} its slot; {@code readers}/{@code writers}
 * count those wanting EV_READ/EV_WRITE; while the key is valid its interest set is
 * {@link #interestOps()}. The key stays registered (interest 0) when the last event leaves, so
 * re-adding costs no syscall-heavy register; it goes away when the channel closes or the base
 * is freed.
 */
final class ChannelRegistration {
    final SelectableChannel channel;
    SelectionKey key;
    Event[] events = new Event[2];
    int count;
    int readers;
    int writers;
    /** True while the interest set holds OP_CONNECT: the base re-checks it after each turn. */
    boolean watchingConnect;

    ChannelRegistration(SelectableChannel channel) {
        this.channel = channel;
    }

    void add(Event ev) {
        if (count == events.length) {
            events = Arrays.copyOf(events, count << 1);
        }
        ev.registration = this;
        ev.regIndex = count;
        events[count++] = ev;
        if ((ev.events & Event.EV_READ) != 0) {
            readers++;
        }
        if ((ev.events & Event.EV_WRITE) != 0) {
            writers++;
        }
    }

    void remove(Event ev) {
        int i = ev.regIndex;
        // Shift rather than swap: events on one channel are dispatched in the order they were added.
        System.arraycopy(events, i + 1, events, i, count - i - 1);
        events[--count] = null;
        for (int j = i; j < count; j++) {
            events[j].regIndex = j;
        }
        ev.registration = null;
        ev.regIndex = -1;
        if ((ev.events & Event.EV_READ) != 0) {
            readers--;
        }
        if ((ev.events & Event.EV_WRITE) != 0) {
            writers--;
        }
    }

    /** The interest set the current events need. */
    int interestOps() {
        int valid = channel.validOps();
        int ops = 0;
        if (readers > 0) {
            ops |= (valid & SelectionKey.OP_ACCEPT) != 0 ? SelectionKey.OP_ACCEPT : SelectionKey.OP_READ;
        }
        if (writers > 0) {
            // A connecting socket reports writability as OP_CONNECT only: libevent users wait for
            // EV_WRITE to learn that connect() finished, so EV_WRITE maps to OP_CONNECT until then.
            if (channel instanceof SocketChannel && ((SocketChannel) channel).isConnectionPending()) {
                ops |= SelectionKey.OP_CONNECT;
            } else {
                ops |= SelectionKey.OP_WRITE;
            }
        }
        return ops;
    }

    /** Pushes {@link #interestOps()} to the key; returns true while OP_CONNECT is in it. */
    boolean updateInterest() {
        int ops = interestOps();
        try {
            if (key.isValid() && key.interestOps() != ops) {
                key.interestOps(ops);
            }
        } catch (CancelledKeyException e) {
            // The channel was closed under us; its events can no longer fire. Nothing to update.
        }
        watchingConnect = (ops & SelectionKey.OP_CONNECT) != 0;
        return watchingConnect;
    }

    /** Translates ready ops into libevent's EV_READ/EV_WRITE. */
    static int toWhat(int readyOps) {
        int what = 0;
        if ((readyOps & (SelectionKey.OP_READ | SelectionKey.OP_ACCEPT)) != 0) {
            what |= Event.EV_READ;
        }
        if ((readyOps & (SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT)) != 0) {
            what |= Event.EV_WRITE;
        }
        return what;
    }
}
