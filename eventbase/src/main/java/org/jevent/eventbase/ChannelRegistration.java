package org.jevent.eventbase;

import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Arrays;

/**
 * Everything one base has registered on one channel. NIO allows a single {@link SelectionKey}
 * per channel and selector, while libevent allows any number of events per fd, so the key's
 * attachment is this object: the events in insertion order, from which the interest set follows.
 *
 * <p>Layout: the first two events sit in fields and any further ones in {@code more}, because a
 * channel nearly always has one or two (a listener; a connection's read and write events) and
 * this object lives as long as the connection: 32 bytes, where an array of events cost 64.
 *
 * <p>Invariant: the events in order are {@code first}, {@code second}, then {@code more[0..)}
 * up to its first null; no slot after an empty one is used; they are exactly the inserted I/O
 * events on the key's channel, each with {@code registration == this}; while the key is valid its
 * interest set is {@link #interestOps()}. The key stays registered (interest 0) when the last
 * event leaves, so re-adding costs no syscall-heavy register; it goes away when the channel
 * closes or the base is freed.
 */
final class ChannelRegistration {
    /** Set right after construction, by the register call that takes this object as attachment. */
    SelectionKey key;
    Event first;
    Event second;
    /** The third event on, null-padded; null until a channel has three. */
    Event[] more;
    /** True while the interest set holds OP_CONNECT: the base re-checks it after each turn. */
    boolean watchingConnect;

    SelectableChannel channel() {
        return key.channel();
    }

    /** The number of inserted events. */
    int count() {
        if (second == null) {
            return first == null ? 0 : 1;
        }
        int n = 2;
        if (more != null) {
            while (n - 2 < more.length && more[n - 2] != null) {
                n++;
            }
        }
        return n;
    }

    /** Event {@code i} in insertion order, {@code i < count()}. */
    Event get(int i) {
        return i == 0 ? first : i == 1 ? second : more[i - 2];
    }

    private void set(int i, Event ev) {
        if (i == 0) {
            first = ev;
        } else if (i == 1) {
            second = ev;
        } else {
            more[i - 2] = ev;
        }
    }

    void add(Event ev) {
        ev.registration = this;
        if (first == null) {
            first = ev;
        } else if (second == null) {
            second = ev;
        } else {
            int n = count() - 2;
            if (more == null) {
                more = new Event[2];
            } else if (n == more.length) {
                more = Arrays.copyOf(more, n << 1);
            }
            more[n] = ev;
        }
    }

    void remove(Event ev) {
        int n = count();
        int i = 0;
        while (get(i) != ev) {
            i++;
        }
        // Shift rather than swap: events on one channel are dispatched in the order they were added.
        for (; i < n - 1; i++) {
            set(i, get(i + 1));
        }
        set(n - 1, null);
        ev.registration = null;
    }

    /** Every event forgets this registration (the base is being freed). */
    void detachAll() {
        for (int i = 0, n = count(); i < n; i++) {
            get(i).registration = null;
        }
        first = null;
        second = null;
        more = null;
    }

    /** The interest set the current events need. */
    int interestOps() {
        int wanted = 0;
        for (int i = 0, n = count(); i < n; i++) {
            wanted |= get(i).events;
        }
        SelectableChannel channel = channel();
        int ops = 0;
        if ((wanted & Event.EV_READ) != 0) {
            ops |= (channel.validOps() & SelectionKey.OP_ACCEPT) != 0 ? SelectionKey.OP_ACCEPT : SelectionKey.OP_READ;
        }
        if ((wanted & Event.EV_WRITE) != 0) {
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
