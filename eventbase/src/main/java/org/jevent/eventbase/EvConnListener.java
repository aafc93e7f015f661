package org.jevent.eventbase;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libevent's {@code evconnlistener}: accepts connections on a {@link ServerSocketChannel} and
 * hands each one, non-blocking, to a callback on the loop thread.
 *
 * <p>One readiness wake-up accepts a batch (up to {@link #setAcceptBatch(int)}, default 64;
 * libevent accepts until EAGAIN, the cap keeps one busy listener from starving the other
 * events), stopping early if the callback disabled or freed the listener. When accept fails with
 * "too many open files" (EMFILE/ENFILE) or another non-retriable error, the listener stops
 * watching the socket and re-arms after a back-off timer (10 ms doubling to 1 s), calling the
 * error callback: libevent keeps the socket readable and spins at 100% CPU in that case.
 *
 * <p>Invariant: the accept event is added iff {@code enabled && !backingOff && !freed}; the
 * back-off timer is pending iff {@code backingOff}. Loop thread only, unless created with
 * {@link #LEV_OPT_THREADSAFE}: then enable/disable/free from another thread hop onto the loop.
 */
public final class EvConnListener implements AutoCloseable {
    /** Accepted channels are left in blocking mode. */
    public static final int LEV_OPT_LEAVE_SOCKETS_BLOCKING = 1;
    /** free() closes the server channel. */
    public static final int LEV_OPT_CLOSE_ON_FREE = 2;
    /** libevent's CLOSE_ON_EXEC: Java never leaks channels into exec'd children; accepted, no effect. */
    public static final int LEV_OPT_CLOSE_ON_EXEC = 4;
    /** SO_REUSEADDR on the bound socket. */
    public static final int LEV_OPT_REUSEABLE = 8;
    /** enable/disable/free may be called from any thread (they are forwarded to the loop thread). */
    public static final int LEV_OPT_THREADSAFE = 16;
    /** Start disabled. */
    public static final int LEV_OPT_DISABLED = 32;
    /** SO_REUSEPORT on the bound socket, where the platform has it. */
    public static final int LEV_OPT_REUSEABLE_PORT = 128;

    private static final int SUPPORTED = LEV_OPT_LEAVE_SOCKETS_BLOCKING | LEV_OPT_CLOSE_ON_FREE
            | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE | LEV_OPT_THREADSAFE | LEV_OPT_DISABLED | LEV_OPT_REUSEABLE_PORT;
    private static final Logger LOG = LoggerFactory.getLogger(EvConnListener.class);
    private static final long MIN_BACKOFF_NANOS = 10_000_000L;
    private static final long MAX_BACKOFF_NANOS = 1_000_000_000L;

    /** {@code evconnlistener_cb(listener, fd, addr, socklen, arg)}. */
    @FunctionalInterface
    public interface AcceptCallback {
        /**
         * Takes one accepted connection, on the loop thread.
         *
         * @param listener the listener that accepted it; the callback may disable or free it
         * @param channel the new connection, non-blocking unless
         *     {@link #LEV_OPT_LEAVE_SOCKETS_BLOCKING}; the callback owns it and must close it.
         *     If the callback throws before registering it with a selector, the listener
         *     closes it.
         * @param peer the remote address, as {@link SocketChannel#getRemoteAddress()} gives it
         */
        void onAccept(EvConnListener listener, SocketChannel channel, SocketAddress peer);
    }

    /** {@code evconnlistener_errorcb(listener, arg)}; the C errno is the exception. */
    @FunctionalInterface
    public interface ErrorCallback {
        /**
         * Told that accept failed with a non-retriable error, on the loop thread; the listener
         * has stopped watching the socket and retries after a back-off.
         *
         * @param listener the listener whose accept failed; the callback may free it
         * @param error what accept threw (e.g. "Too many open files")
         */
        void onError(EvConnListener listener, IOException error);
    }

    /** Seam for tests: how a channel is accepted. */
    @FunctionalInterface
    interface Acceptor {
        SocketChannel accept(ServerSocketChannel server) throws IOException;
    }

    private final EventBase base;
    private final ServerSocketChannel channel;
    private final int flags;
    private final boolean keepAlive;
    private final Event acceptEvent;
    private final Event backoffTimer;
    private AcceptCallback callback;
    private ErrorCallback errorCallback;
    private Acceptor acceptor = ServerSocketChannel::accept;
    private int acceptBatch = 64;
    private boolean enabled;
    private boolean backingOff;
    private long backoffNanos = MIN_BACKOFF_NANOS;
    private boolean freed;

    private EvConnListener(EventBase base, AcceptCallback cb, int flags, ServerSocketChannel channel, boolean keepAlive)
            throws IOException {
        this.base = base;
        this.callback = cb;
        this.flags = flags;
        this.channel = channel;
        this.keepAlive = keepAlive;
        channel.configureBlocking(false);
        this.acceptEvent = new Event(base, channel, Event.EV_READ | Event.EV_PERSIST, (ev, what) -> acceptBatch());
        this.backoffTimer = Event.timer(base, (ev, what) -> endBackoff());
        if ((flags & LEV_OPT_DISABLED) == 0) {
            enable();
        }
    }

    /**
     * {@code evconnlistener_new(base, cb, arg, flags, backlog, fd)}: wraps a bound server channel.
     * Java binds and listens in one step, so the channel must already be bound and
     * {@code backlog} is ignored (C's backlog 0, "already listening", is the only case left).
     * Loop thread only.
     *
     * @param base the base whose loop accepts; the caller must be on its loop thread
     * @param cb called with each accepted connection; null closes them at once
     * @param flags {@code LEV_OPT_*} flags, or-ed (the socket options REUSEABLE and
     *     REUSEABLE_PORT have no effect on an already bound channel)
     * @param backlog ignored
     * @param channel a bound server channel; made non-blocking, and closed by {@link #free()}
     *     only with {@link #LEV_OPT_CLOSE_ON_FREE}
     * @return the listener, accepting unless {@link #LEV_OPT_DISABLED}
     * @throws IOException if the channel cannot be queried or made non-blocking
     * @throws IllegalArgumentException if the channel is not bound or {@code flags} has an
     *     unknown bit
     * @throws IllegalStateException if called off the loop thread
     */
    public static EvConnListener create(EventBase base, AcceptCallback cb, int flags, int backlog,
            ServerSocketChannel channel) throws IOException {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(channel, "channel");
        checkFlags(flags);
        base.checkInLoopThread();
        if (channel.getLocalAddress() == null) {
            throw new IllegalArgumentException("the server channel must be bound (and so listening)");
        }
        return new EvConnListener(base, cb, flags, channel, false);
    }

    /**
     * {@code evconnlistener_new_bind(base, cb, arg, flags, backlog, sa, socklen)}: opens, binds and
     * listens. backlog 0 is refused (as libevent returns NULL), negative means 128. TCP listeners
     * set SO_KEEPALIVE on each accepted socket (libevent sets it on the listener, which Java does not
     * allow on a ServerSocketChannel). REUSEABLE and REUSEABLE_PORT are refused for Unix-domain
     * addresses, like libevent. Loop thread only.
     *
     * @param base the base whose loop accepts; the caller must be on its loop thread
     * @param cb called with each accepted connection; null closes them at once
     * @param flags {@code LEV_OPT_*} flags, or-ed; {@link #LEV_OPT_CLOSE_ON_FREE} is implied
     * @param backlog the listen queue length; negative for 128
     * @param address where to bind: an {@link InetSocketAddress} (port 0 picks a free port) or a
     *     {@link UnixDomainSocketAddress}
     * @return the listener, accepting unless {@link #LEV_OPT_DISABLED}
     * @throws IOException if the socket cannot be opened or bound (the address is in use, ...);
     *     nothing stays open then
     * @throws IllegalArgumentException if {@code backlog} is 0, {@code flags} has an unknown bit,
     *     or a reuse flag is given for a Unix-domain address
     * @throws UnsupportedOperationException if {@link #LEV_OPT_REUSEABLE_PORT} is asked where
     *     the platform lacks SO_REUSEPORT
     * @throws IllegalStateException if called off the loop thread
     */
    public static EvConnListener newBind(EventBase base, AcceptCallback cb, int flags, int backlog,
            SocketAddress address) throws IOException {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(address, "address");
        checkFlags(flags);
        base.checkInLoopThread();
        if (backlog == 0) {
            throw new IllegalArgumentException("backlog 0 means an already-listening socket: use create()");
        }
        if (backlog < 0) {
            backlog = 128;
        }
        boolean unix = address instanceof UnixDomainSocketAddress;
        if (unix && (flags & (LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT)) != 0) {
            throw new IllegalArgumentException("REUSEABLE and REUSEABLE_PORT do not apply to Unix-domain sockets");
        }
        ServerSocketChannel ch = unix ? ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)
                : ServerSocketChannel.open();
        try {
            if ((flags & LEV_OPT_REUSEABLE) != 0) {
                ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            }
            if ((flags & LEV_OPT_REUSEABLE_PORT) != 0) {
                if (!ch.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) {
                    throw new UnsupportedOperationException("SO_REUSEPORT is not supported on this platform");
                }
                ch.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            }
            ch.bind(address, backlog);
            // What we opened we own: CLOSE_ON_FREE is implied for the C caller too, who gets no fd back otherwise.
            return new EvConnListener(base, cb, flags | LEV_OPT_CLOSE_ON_FREE, ch, address instanceof InetSocketAddress);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static void checkFlags(int flags) {
        if ((flags & ~SUPPORTED) != 0) {
            throw new IllegalArgumentException("unsupported listener flags 0x" + Integer.toHexString(flags & ~SUPPORTED));
        }
    }

    /**
     * {@code evconnlistener_enable}: start (or resume) accepting. Loop thread only, unless
     * {@link #LEV_OPT_THREADSAFE}.
     *
     * @throws IllegalStateException if the listener was freed, or called off the loop thread
     */
    public void enable() {
        if (hop(this::enable)) {
            return;
        }
        checkNotFreed();
        enabled = true;
        if (!backingOff) {
            acceptEvent.add();
        }
    }

    /**
     * {@code evconnlistener_disable}: stop accepting; also cancels a back-off in progress. Does
     * nothing on a freed listener. Loop thread only, unless {@link #LEV_OPT_THREADSAFE}.
     */
    public void disable() {
        if (hop(this::disable)) {
            return;
        }
        if (freed) {
            return;
        }
        enabled = false;
        acceptEvent.del();
        backoffTimer.del();
        backingOff = false;
    }

    /**
     * {@code evconnlistener_free}: stops, and closes the channel with CLOSE_ON_FREE. Safe in its
     * own callback; idempotent. Loop thread only, unless {@link #LEV_OPT_THREADSAFE}.
     */
    public void free() {
        if (hop(this::free)) {
            return;
        }
        if (freed) {
            return;
        }
        disable();
        freed = true;
        callback = null;
        errorCallback = null;
        if ((flags & LEV_OPT_CLOSE_ON_FREE) != 0) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.warn("closing {} failed", channel, e);
            }
        }
    }

    /** Same as {@link #free()}. */
    @Override
    public void close() {
        free();
    }

    /** With THREADSAFE, a foreign call is forwarded to the loop thread; true if it was. */
    private boolean hop(Runnable op) {
        if ((flags & LEV_OPT_THREADSAFE) != 0 && !base.isInLoopThread()) {
            base.execute(op);
            return true;
        }
        base.checkInLoopThread();
        return false;
    }

    /**
     * {@code evconnlistener_set_cb}. Loop thread only.
     *
     * @param cb the new accept callback; null closes accepted channels at once (as C with a
     *     NULL cb)
     */
    public void setCallback(AcceptCallback cb) {
        base.checkInLoopThread();
        this.callback = cb;
    }

    /**
     * {@code evconnlistener_set_error_cb}. Loop thread only.
     *
     * @param cb told of each non-retriable accept error; null logs them at WARN instead
     */
    public void setErrorCallback(ErrorCallback cb) {
        base.checkInLoopThread();
        this.errorCallback = cb;
    }

    /**
     * Sets how many connections one readiness callback accepts at most; default 64. Loop
     * thread only.
     *
     * @param n the batch size, at least 1
     * @throws IllegalArgumentException if {@code n} is less than 1
     */
    public void setAcceptBatch(int n) {
        base.checkInLoopThread();
        if (n < 1) {
            throw new IllegalArgumentException("accept batch must be >= 1: " + n);
        }
        this.acceptBatch = n;
    }

    /** {@return the server channel accepted on} ({@code evconnlistener_get_fd}) */
    public ServerSocketChannel getChannel() {
        return channel;
    }

    /** {@return the base whose loop accepts} ({@code evconnlistener_get_base}) */
    public EventBase getBase() {
        return base;
    }

    /**
     * The bound address.
     *
     * @return the address, with the port the system picked when port 0 was asked
     * @throws IOException if the channel cannot tell it
     * @throws java.nio.channels.ClosedChannelException if the channel was closed
     */
    public SocketAddress getLocalAddress() throws IOException {
        return channel.getLocalAddress();
    }

    /**
     * {@return true while the listener accepts or will after a back-off} False once disabled
     * or freed.
     */
    public boolean isEnabled() {
        return enabled && !freed;
    }

    void setAcceptor(Acceptor a) {
        this.acceptor = a;
    }

    private void acceptBatch() {
        for (int i = 0; i < acceptBatch; i++) {
            if (freed || !enabled || backingOff) {
                return;
            }
            SocketChannel sc;
            try {
                sc = acceptor.accept(channel);
            } catch (IOException e) {
                if (!onAcceptError(e)) {
                    return;
                }
                continue;
            }
            if (sc == null) {
                return;
            }
            backoffNanos = MIN_BACKOFF_NANOS;
            deliver(sc);
        }
    }

    private void deliver(SocketChannel sc) {
        SocketAddress peer;
        try {
            if ((flags & LEV_OPT_LEAVE_SOCKETS_BLOCKING) == 0) {
                sc.configureBlocking(false);
            }
            if (keepAlive) {
                sc.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
            }
            peer = sc.getRemoteAddress();
        } catch (IOException e) {
            // The peer reset before we got to it: nothing to hand over.
            closeQuietly(sc);
            return;
        }
        AcceptCallback cb = callback;
        if (cb == null) {
            closeQuietly(sc);
            return;
        }
        try {
            cb.onAccept(this, sc, peer);
        } catch (RuntimeException | Error e) {
            // Nobody else can reach a channel that no selector took: close it, or its descriptor
            // stays open for the life of the process. A registered one belongs to its new owner.
            if (!sc.isRegistered()) {
                closeQuietly(sc);
            }
            throw e;
        }
    }

    /** Returns true when the error is transient and accepting may go on at once. */
    private boolean onAcceptError(IOException e) {
        String msg = e.getMessage();
        if (msg != null && (msg.contains("Connection aborted") || msg.contains("Software caused connection abort")
                || msg.contains("Interrupted system call"))) {
            return true;
        }
        ErrorCallback ecb = errorCallback;
        if (ecb != null) {
            ecb.onError(this, e);
        } else {
            LOG.warn("accept on {} failed; backing off {} ms", channel, backoffNanos / 1_000_000L, e);
        }
        if (e instanceof ClosedChannelException) {
            disable();
            return false;
        }
        startBackoff();
        return false;
    }

    private void startBackoff() {
        if (freed || !enabled || backingOff) {
            return;
        }
        backingOff = true;
        acceptEvent.del();
        backoffTimer.add(Duration.ofNanos(backoffNanos));
        backoffNanos = Math.min(MAX_BACKOFF_NANOS, backoffNanos << 1);
    }

    private void endBackoff() {
        backingOff = false;
        if (enabled && !freed) {
            acceptEvent.add();
        }
    }

    /** True when the message is EMFILE/ENFILE, the case libevent documents as a busy-loop risk. */
    static boolean isTooManyOpenFiles(IOException e) {
        String msg = e.getMessage();
        return msg != null && msg.contains("Too many open files");
    }

    private void checkNotFreed() {
        if (freed) {
            throw new IllegalStateException("listener is freed");
        }
    }

    private static void closeQuietly(SocketChannel sc) {
        try {
            sc.close();
        } catch (IOException ignored) {
            // closing a channel we never handed out; nothing to report
        }
    }

    @Override
    public String toString() {
        return "EvConnListener[" + channel + (enabled ? ", enabled" : ", disabled") + (backingOff ? ", backing off]" : "]");
    }
}
