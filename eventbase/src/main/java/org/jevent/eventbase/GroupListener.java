package org.jevent.eventbase;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A listening address served by every loop of an {@link EventBaseGroup}; made by
 * {@link EventBaseGroup#listen}. Either one {@link EvConnListener} per loop, all bound to the same
 * port with SO_REUSEPORT (the kernel spreads connections; nothing crosses threads), or one
 * listener on one loop that hands each accepted channel to the group's next loop through that
 * loop's {@code execute} (the fallback where SO_REUSEPORT does not spread: outside Linux, BSD and
 * macOS accept the option but send every connection to one socket; Windows lacks it).
 *
 * <p>Invariant: the callback runs on the loop that owns the channel, with that loop's base; a
 * handed-over channel that its loop drops (the loop shut down first) is closed, never leaked.
 * {@code listeners} never changes after construction; {@code freed} flips once.
 */
public final class GroupListener implements AutoCloseable {
    private static final boolean REUSE_PORT_SPREADS = System.getProperty("os.name", "").startsWith("Linux")
            && reusePortSupported();

    private final EventBaseGroup group;
    private final EventBaseGroup.AcceptCallback callback;
    private final EventBaseGroup.AcceptSpread spread;
    private final List<EvConnListener> listeners = new ArrayList<>();
    private final AtomicBoolean freed = new AtomicBoolean();
    private SocketAddress localAddress;

    private GroupListener(EventBaseGroup group, EventBaseGroup.AcceptCallback callback, EventBaseGroup.AcceptSpread spread) {
        this.group = group;
        this.callback = callback;
        this.spread = spread;
    }

    static GroupListener open(EventBaseGroup group, EventBaseGroup.AcceptCallback cb, int flags, int backlog,
            SocketAddress address, EventBaseGroup.AcceptSpread spread) throws IOException {
        GroupListener gl = new GroupListener(group, cb, resolve(spread, address, group.size()));
        int f = flags | EvConnListener.LEV_OPT_THREADSAFE | EvConnListener.LEV_OPT_CLOSE_ON_FREE;
        try {
            if (gl.spread == EventBaseGroup.AcceptSpread.REUSE_PORT) {
                int rf = f | EvConnListener.LEV_OPT_REUSEABLE_PORT;
                EvConnListener.AcceptCallback direct = (lev, ch, peer) -> cb.onAccept(lev.getBase(), ch, peer);
                gl.add(onLoop(group.get(0), base -> EvConnListener.newBind(base, direct, rf, backlog, address)));
                // Port 0: the others join the port the first one got.
                SocketAddress bound = gl.listeners.get(0).getLocalAddress();
                for (int i = 1; i < group.size(); i++) {
                    gl.add(onLoop(group.get(i), base -> EvConnListener.newBind(base, direct, rf, backlog, bound)));
                }
            } else {
                gl.add(onLoop(group.next(), base -> EvConnListener.newBind(base, gl::handOver, f, backlog, address)));
            }
            gl.localAddress = gl.listeners.get(0).getLocalAddress();
        } catch (IOException | RuntimeException | Error e) {
            gl.free();
            throw e;
        }
        return gl;
    }

    private void add(EvConnListener l) {
        listeners.add(l);
    }

    private static EventBaseGroup.AcceptSpread resolve(EventBaseGroup.AcceptSpread asked, SocketAddress address, int loops) {
        boolean tcp = address instanceof InetSocketAddress;
        switch (asked) {
            case REUSE_PORT:
                if (!tcp || !reusePortSupported()) {
                    throw new UnsupportedOperationException("SO_REUSEPORT is not available for " + address + " here");
                }
                return asked;
            case HAND_OVER:
                return asked;
            default:
                return loops > 1 && tcp && REUSE_PORT_SPREADS ? EventBaseGroup.AcceptSpread.REUSE_PORT
                        : EventBaseGroup.AcceptSpread.HAND_OVER;
        }
    }

    private static boolean reusePortSupported() {
        try (ServerSocketChannel ch = ServerSocketChannel.open()) {
            return ch.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT);
        } catch (IOException e) {
            return false;
        }
    }

    /** What a listener needs made on its own loop. */
    @FunctionalInterface
    private interface OnLoop {
        EvConnListener make(EventBase base) throws IOException;
    }

    /** Makes a listener on {@code base}'s thread and waits for it (uninterruptibly: it takes microseconds). */
    private static EvConnListener onLoop(EventBase base, OnLoop make) throws IOException {
        CompletableFuture<EvConnListener> f = new CompletableFuture<>();
        base.execute(() -> {
            try {
                f.complete(make.make(base));
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof IOException) {
                        throw (IOException) c;
                    }
                    if (c instanceof RuntimeException) {
                        throw (RuntimeException) c;
                    }
                    if (c instanceof Error) {
                        throw (Error) c;
                    }
                    throw new InterruptedIOException("listener set-up failed: " + c);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Acceptor loop: the channel goes to the group's next loop. */
    private void handOver(EvConnListener lev, SocketChannel ch, SocketAddress peer) {
        EventBase target = group.next();
        if (target == lev.getBase()) {
            callback.onAccept(target, ch, peer);
            return;
        }
        try {
            target.execute(new HandOver(target, ch, peer));
        } catch (IllegalStateException freed) {
            closeQuietly(ch); // that loop is gone: the group shuts down
        }
    }

    /** One accepted channel on its way to its loop. */
    private final class HandOver implements TaskInbox.DroppableTask {
        private final EventBase target;
        private final SocketChannel channel;
        private final SocketAddress peer;

        HandOver(EventBase target, SocketChannel channel, SocketAddress peer) {
            this.target = target;
            this.channel = channel;
            this.peer = peer;
        }

        @Override
        public void run() {
            callback.onAccept(target, channel, peer);
        }

        @Override
        public void drop() {
            closeQuietly(channel);
        }

        @Override
        public String toString() {
            return "hand-over of a connection from " + peer + " to " + target;
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // a channel nobody got to use
        }
    }

    /** {@return the bound address, with the port the system picked when port 0 was asked} */
    public SocketAddress getLocalAddress() {
        return localAddress;
    }

    /** {@return how connections are spread: REUSE_PORT or HAND_OVER (AUTO already resolved)} */
    public EventBaseGroup.AcceptSpread getSpread() {
        return spread;
    }

    /**
     * The listeners: one per loop (REUSE_PORT) or one (HAND_OVER). Each belongs to its own loop:
     * call its loop-thread methods (e.g. {@code setErrorCallback}) there.
     *
     * @return an unmodifiable list of the listeners, in loop order
     */
    public List<EvConnListener> listeners() {
        return Collections.unmodifiableList(listeners);
    }

    /**
     * Stops accepting and closes the listening sockets; any thread, idempotent. Each listener is
     * freed on its own loop, so the sockets close within that loop's next turn.
     */
    public void free() {
        if (!freed.compareAndSet(false, true)) {
            return;
        }
        for (EvConnListener l : listeners) {
            try {
                l.free();
            } catch (IllegalStateException gone) {
                // its loop already shut down, which closed the socket
            }
        }
        group.forget(this);
    }

    @Override
    public void close() {
        free();
    }

    @Override
    public String toString() {
        return "GroupListener[" + localAddress + ", " + spread + ", " + listeners.size() + " listener(s)"
                + (freed.get() ? ", freed]" : "]");
    }
}
