package org.jevent.eventbase;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A base's channels: its {@link Selector}, one {@link ChannelRegistration} per channel, the
 * interest ops the inserted I/O events need, and the translation of ready keys into activations.
 *
 * <p>Invariant: {@code ioEvents} is the number of events inserted into registrations (the sum of
 * their {@code count()}s); every key of the selector carries its {@link ChannelRegistration} as
 * attachment; {@code connectWatch} holds (at least) every registration whose interest set holds
 * OP_CONNECT, because a callback may finish the connect and EV_WRITE must then mean OP_WRITE.
 * Loop thread only, except {@link Selector#wakeup()} through the base's inbox.
 */
final class ChannelRegistry implements Consumer<SelectionKey> {
    private final EventBase base;
    private final Selector selector;
    private final List<ChannelRegistration> connectWatch = new ArrayList<>(2);
    private int ioEvents;

    ChannelRegistry(EventBase base) {
        this.base = base;
        try {
            this.selector = Selector.open();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a Selector", e);
        }
    }

    Selector selector() {
        return selector;
    }

    /** Number of inserted I/O events. */
    int size() {
        return ioEvents;
    }

    /** The keys, for the read-only walks; each attachment is a {@link ChannelRegistration}. */
    Set<SelectionKey> keys() {
        return selector.keys();
    }

    /** {@code event_base_get_method}. */
    String method() {
        return selector.provider().getClass().getName();
    }

    /** Inserts the EV_READ/EV_WRITE interest of {@code ev}, registering its channel on first use. */
    void insert(Event ev) {
        SelectableChannel ch = ev.channel;
        checkSupported(ch, ev.events);
        try {
            SelectionKey key = ch.keyFor(selector);
            ChannelRegistration reg;
            if (key != null && key.isValid()) {
                reg = (ChannelRegistration) key.attachment();
            } else {
                if (key != null) {
                    // A cancelled key stays in the selector until the next select: flush it, or register fails.
                    selector.selectNow(k -> { });
                }
                if (ch.isBlocking()) {
                    ch.configureBlocking(false);
                }
                reg = new ChannelRegistration();
                reg.key = ch.register(selector, 0, reg);
            }
            reg.add(ev);
            ioEvents++;
            if (reg.updateInterest() && !connectWatch.contains(reg)) {
                connectWatch.add(reg);
            }
        } catch (ClosedChannelException e) {
            throw new IllegalStateException("cannot add an event on a closed channel: " + ev, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot register " + ev, e);
        }
    }

    private static void checkSupported(SelectableChannel ch, int events) {
        int valid = ch.validOps();
        if (((events & Event.EV_READ) != 0 && (valid & (SelectionKey.OP_READ | SelectionKey.OP_ACCEPT)) == 0)
                || ((events & Event.EV_WRITE) != 0 && (valid & (SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT)) == 0)) {
            throw new IllegalArgumentException(ch + " does not support " + Event.flagsToString(events));
        }
    }

    /** Removes the I/O interest of an inserted event; the key stays, with the interest the others need. */
    void remove(Event ev) {
        ChannelRegistration reg = ev.registration;
        reg.remove(ev);
        ioEvents--;
        reg.updateInterest();
    }

    /** Polls without blocking; ready keys activate their events. */
    void selectNow() throws IOException {
        selector.selectNow(this);
    }

    /** Blocks until a key is ready, a wakeup, or {@code timeoutNanos} (-1: no bound) has passed. */
    void select(long timeoutNanos) throws IOException {
        if (timeoutNanos < 0) {
            selector.select(this);
        } else {
            // Round up: waking a little early would only spin one empty turn before the timer.
            selector.select(this, (timeoutNanos + 999_999L) / 1_000_000L);
        }
    }

    /** Select consumer: one key ready; activate each of its events that wants what is ready. */
    @Override
    public void accept(SelectionKey key) {
        ChannelRegistration reg = (ChannelRegistration) key.attachment();
        int ready;
        try {
            ready = key.readyOps();
        } catch (CancelledKeyException e) {
            return;
        }
        int what = ChannelRegistration.toWhat(ready);
        if (reg.watchingConnect && !connectWatch.contains(reg)) {
            connectWatch.add(reg);
        }
        activate(reg, what);
    }

    /** {@code event_base_active_by_fd}: activates the events on {@code channel} that want {@code what}. */
    void activate(SelectableChannel channel, int what) {
        SelectionKey key = channel.keyFor(selector);
        if (key != null && key.isValid()) {
            activate((ChannelRegistration) key.attachment(), what);
        }
    }

    private void activate(ChannelRegistration reg, int what) {
        // Activation runs no callback, so the registration cannot change under this walk.
        Event ev = reg.first;
        if (ev == null) {
            return;
        }
        activate(ev, what);
        ev = reg.second;
        if (ev == null) {
            return;
        }
        activate(ev, what);
        Event[] more = reg.more;
        if (more != null) {
            for (int i = 0; i < more.length && more[i] != null; i++) {
                activate(more[i], what);
            }
        }
    }

    private void activate(Event ev, int what) {
        int res = ev.events & what;
        if (res != 0) {
            base.activateLocal(ev, res);
        }
    }

    /** After the callbacks of a turn: a connect that completed turns OP_CONNECT back into OP_WRITE. */
    void recheckConnects() {
        for (int i = connectWatch.size() - 1; i >= 0; i--) {
            ChannelRegistration reg = connectWatch.get(i);
            if (!reg.key.isValid() || !reg.updateInterest()) {
                connectWatch.remove(i);
            }
        }
    }

    /** On free: every inserted event forgets its registration (it may be added to another base). */
    void detachAll() {
        for (SelectionKey key : selector.keys()) {
            ((ChannelRegistration) key.attachment()).detachAll();
        }
        ioEvents = 0;
        connectWatch.clear();
    }

    /**
     * Closes every channel registered here, with or without events: for an owner that ends the
     * connections together with the loop ({@link EventBaseGroup} at shutdown). Returns how many.
     */
    int closeChannels() {
        int n = 0;
        for (SelectionKey key : selector.keys()) {
            try {
                key.channel().close();
                n++;
            } catch (IOException e) {
                // closing for good: nothing to retry, and the channel is unusable either way
            }
        }
        return n;
    }

    /** Closes the selector, which deregisters every channel; the channels stay open. */
    void close() throws IOException {
        selector.close();
    }
}
