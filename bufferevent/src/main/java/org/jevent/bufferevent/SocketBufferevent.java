package org.jevent.bufferevent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jevent.eventbase.DeferredCallback;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventCallback;
import org.jevent.eventbase.EventBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bufferevent over a {@link SocketChannel}: libevent's {@code bufferevent_sock.c}.
 *
 * <p>Reads scatter into the input's free segment space (at most
 * {@link #getMaxToRead()} bytes a time, and never past the read high watermark); writes gather
 * many output segments into one call. A write does not wait for the selector: data added to the
 * output is written at the end of the current loop turn, together with anything else added in
 * that turn, and only what the socket does not take waits for writability.
 *
 * <p>As in libevent the user may not add to the input or drain the output directly (their ends
 * are frozen); end of stream reports {@code READING|EOF}, an I/O failure
 * {@code READING|ERROR} or {@code WRITING|ERROR} with the exception in {@link #getLastError()},
 * and a failed connect a bare {@code ERROR}. Bytes already read stay in the input in every case.
 * A pending connect counts as output for the write timeout, so that timeout bounds the connect
 * ({@code WRITING|TIMEOUT}), as in libevent.
 */
public final class SocketBufferevent extends Bufferevent {
    /** Connects, name lookups and the channel at DEBUG; every read and write at TRACE. */
    private static final Logger LOG = LoggerFactory.getLogger(SocketBufferevent.class);

    /** Name lookups run here, off the loop thread; their results hop back onto it. */
    private static final ExecutorService RESOLVER = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "jevent-resolver");
        t.setDaemon(true);
        return t;
    });

    private SocketChannel channel;
    /** True for a channel this bufferevent opened itself: it is closed on free whatever the options. */
    private boolean ownChannel;
    private Event readEv;
    private Event writeEv;
    private boolean connecting;
    private final DeferredCallback writeSoon;
    /** The callback of both channel events and of the deferred write (one object, not three lambdas). */
    private final Io io = new Io(this);
    private Throwable dnsError;

    private SocketBufferevent(EventBase base, int options) {
        super(base, options);
        this.writeSoon = new DeferredCallback(base, io);
        input.freeze(false);
        output.freeze(true);
    }

    /**
     * {@code bufferevent_socket_new(base, fd, options)}: over {@code channel}, which is made
     * non-blocking, or, with null, over no channel until {@link #connect} or
     * {@link #setChannel}. Must be called on the base's loop thread.
     *
     * @param base the base whose loop runs it
     * @param channel a connected, connecting or unconnected socket; null for none yet
     * @param options {@code BEV_OPT_*} flags, or-ed; CLOSE_ON_FREE closes {@code channel} on free
     * @return the new bufferevent, with EV_WRITE enabled and EV_READ disabled
     * @throws IllegalArgumentException if {@code options} has an unknown bit
     * @throws IllegalStateException if called off the base's loop thread
     * @throws java.io.UncheckedIOException if the channel cannot be made non-blocking
     */
    public static SocketBufferevent create(EventBase base, SocketChannel channel, int options) {
        SocketBufferevent bev = new SocketBufferevent(base, options);
        if (channel != null) {
            bev.setChannel(channel);
        }
        return bev;
    }

    /**
     * {@code bufferevent_setfd}: uses {@code channel} from now on (made non-blocking). A channel
     * whose connect is still pending is watched for its completion, as after {@link #connect};
     * one not connected at all does no I/O until {@link #connect} is called. The events on the
     * previous channel are dropped; that channel is not closed. Loop thread only.
     *
     * @param channel the socket to read and write from now on
     * @throws java.io.UncheckedIOException if the channel cannot be made non-blocking
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     */
    public void setChannel(SocketChannel channel) {
        Objects.requireNonNull(channel, "channel");
        checkLoopThread();
        checkNotFreed();
        dropEvents();
        try {
            channel.configureBlocking(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the channel non-blocking", e);
        }
        this.channel = channel;
        transportLossReset();
        this.readEv = new Event(base, channel, Event.EV_READ | Event.EV_PERSIST, io);
        this.writeEv = new Event(base, channel, Event.EV_WRITE | Event.EV_PERSIST, io);
        // Not connected yet (connect() comes next, or is under way): no I/O until it finishes.
        boolean pending = channel.isConnectionPending();
        this.connecting = pending || !channel.isConnected();
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: over {} channel", logName(), pending ? "a connecting" : connecting ? "an unconnected" : "a connected");
        }
        if (!connecting) {
            ConnectionRecorder.opened(this, 0);
        }
        if (pending) {
            writeEv.add();
        } else if (!connecting) {
            if (directions.readingActive()) {
                startReading();
            }
            if (directions.writingActive()) {
                startWriting();
            }
        }
    }

    /** {@return the channel, or null before one was set or opened} ({@code bufferevent_getfd}) */
    public SocketChannel getChannel() {
        return channel;
    }

    /**
     * {@code bufferevent_socket_connect}: connects without blocking, opening a channel first if
     * there is none. Success reports {@link #BEV_EVENT_CONNECTED}; failure a bare
     * {@link #BEV_EVENT_ERROR} with the reason in {@link #getLastError()}. Even a connect that
     * fails at once reports through the event callback, later, as libevent does. A channel this
     * call opens belongs to the bufferevent and is closed on free. Loop thread only.
     *
     * @param address where to connect, e.g. an {@link java.net.InetSocketAddress}
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     */
    public void connect(SocketAddress address) {
        Objects.requireNonNull(address, "address");
        checkLoopThread();
        checkNotFreed();
        connectStarted = System.nanoTime();
        connectingTo = address;
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: connecting to {}", logName(), address);
        }
        try {
            if (channel == null) {
                SocketChannel ch = SocketChannel.open();
                ownChannel = true;
                setChannel(ch);
            }
            if (channel.connect(address)) {
                connecting = false;
                connected();
                callbacks.runEvent(BEV_EVENT_CONNECTED, BEV_OPT_DEFER_CALLBACKS);
                if (directions.readingActive()) {
                    startReading();
                }
                if (directions.writingActive()) {
                    startWriting();
                }
            } else {
                connecting = true;
                writeEv.add();
                timeouts.adjustWrite();
            }
        } catch (IOException | RuntimeException e) {
            connecting = false;
            logConnectFailed(e);
            setLastError(e);
            end(BEV_EVENT_ERROR, EndReason.ofIoFailure(e), BEV_OPT_DEFER_CALLBACKS);
        }
    }

    /** When the last connect started ({@code System.nanoTime()}), for the logs. */
    private long connectStarted;
    /** Where the last connect went, for the logs. */
    private SocketAddress connectingTo;

    /** The connect finished: logged, and the JFR event if a recording wants it. */
    private void connected() {
        long took = System.nanoTime() - connectStarted;
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: connected in {} us", logName(), took / 1000);
        }
        ConnectionRecorder.opened(this, took);
    }

    private void logConnectFailed(Throwable e) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: connect to {} failed after {} us: {}", logName(), connectingTo,
                    (System.nanoTime() - connectStarted) / 1000, e.toString());
        }
    }

    /**
     * {@code bufferevent_socket_connect_hostname(bev, NULL, family, host, port)}: resolves
     * {@code host} off the loop thread, then connects to its first address of {@code family}
     * (null: any). Reading and writing wait meanwhile. A failed lookup reports a bare
     * {@link #BEV_EVENT_ERROR}; {@link #getDnsError()} then says why. Loop thread only.
     *
     * @param family {@link java.net.StandardProtocolFamily#INET} or
     *     {@link java.net.StandardProtocolFamily#INET6} to pick an address of that family; null
     *     for the first address of any
     * @param host the name (or literal address) to resolve
     * @param port the port to connect to, 0 to 65535
     * @throws IllegalArgumentException if {@code port} is out of range
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     */
    public void connectHostname(ProtocolFamily family, String host, int port) {
        Objects.requireNonNull(host, "host");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        checkLoopThread();
        checkNotFreed();
        dnsError = null;
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: resolving {} ({})", logName(), host, family == null ? "any family" : family);
        }
        directions.suspendRead(SUSPEND_LOOKUP);
        directions.suspendWrite(SUSPEND_LOOKUP);
        RESOLVER.execute(() -> {
            InetAddress found = null;
            Throwable error = null;
            try {
                found = resolve(family, host);
            } catch (UnknownHostException | RuntimeException e) {
                error = e;
            }
            InetAddress address = found;
            Throwable failure = error;
            try {
                base.execute(() -> lookedUp(address, failure, port));
            } catch (IllegalStateException baseGone) {
                // The base was freed while we looked the name up: nobody is waiting any more.
            }
        });
    }

    private static InetAddress resolve(ProtocolFamily family, String host) throws UnknownHostException {
        for (InetAddress a : InetAddress.getAllByName(host)) {
            if (family == null
                    || (family == StandardProtocolFamily.INET && a instanceof Inet4Address)
                    || (family == StandardProtocolFamily.INET6 && a instanceof Inet6Address)) {
                return a;
            }
        }
        throw new UnknownHostException(host + ": no " + family + " address");
    }

    private void lookedUp(InetAddress address, Throwable error, int port) {
        if (freed) {
            return;
        }
        directions.unsuspendRead(SUSPEND_LOOKUP);
        directions.unsuspendWrite(SUSPEND_LOOKUP);
        if (error != null) {
            if (LOG.isDebugEnabled()) {
                LOG.debug("{}: name lookup failed: {}", logName(), error.toString());
            }
            dnsError = error;
            setLastError(error);
            end(BEV_EVENT_ERROR, EndReason.UNRESOLVED, 0);
            return;
        }
        connect(new InetSocketAddress(address, port));
    }

    /**
     * {@return why the last name lookup of {@link #connectHostname} failed, or null}
     * ({@code bufferevent_socket_get_dns_error})
     */
    public Throwable getDnsError() {
        return dnsError;
    }

    // ------------------------------------------------------------------ transport

    @Override
    void startReading() {
        // A channel closed under us cannot be registered; the public call reports it (transportAlive).
        if (readEv != null && !connecting && channel.isOpen()) {
            readEv.add();
        }
    }

    /** No channel yet, or an open one; a channel closed by someone else is a transport gone. */
    @Override
    boolean transportAlive() {
        return channel == null || channel.isOpen();
    }

    @Override
    void stopReading() {
        if (readEv != null) {
            readEv.del();
        }
    }

    @Override
    void startWriting() {
        // A channel closed under us is not written; the public call reports it (transportAlive).
        if (writeEv != null && !connecting && output.getLength() > 0 && channel.isOpen()) {
            writeSoon.schedule();
        }
    }

    @Override
    void stopWriting() {
        // A pending connect keeps its write event: it is how we learn that it finished.
        if (writeEv != null && !connecting) {
            writeEv.del();
        }
        writeSoon.cancel();
    }

    /**
     * How much the next read asks for, within the single-read cap: it doubles after a read that
     * filled the request and halves after two that used less than a quarter of it (Netty's
     * adaptive receive size does the same). A small request fits the free space of one segment
     * and becomes a plain read(2); only a busy stream pays for the scattering readv(2) of a large
     * one.
     */
    private int readGuess = MIN_READ_GUESS;
    private int smallReads;
    private static final int MIN_READ_GUESS = 8192;

    private void adaptReadGuess(int n, long asked) {
        if (n >= asked) {
            readGuess = (int) Math.min((long) readGuess * 2, Math.max(getMaxSingleRead(), MIN_READ_GUESS));
            smallReads = 0;
        } else if (n < readGuess / 4 && readGuess > MIN_READ_GUESS) {
            if (++smallReads >= 2) {
                readGuess = Math.max(MIN_READ_GUESS, readGuess / 2);
                smallReads = 0;
            }
        } else {
            smallReads = 0;
        }
    }

    private void onReadable() {
        if (!directions.readingActive() || connecting) {
            return;
        }
        long howmuch = Math.min(getMaxToRead(), readGuess);
        long room = wm.readRoom();
        if (room >= 0) {
            howmuch = Math.min(howmuch, room);
        }
        if (howmuch <= 0) {
            if (room == 0) {
                directions.suspendRead(SUSPEND_WM);
            }
            return;
        }
        int n;
        input.unfreeze(false);
        try {
            n = input.readFrom(channel, (int) howmuch);
        } catch (IOException | RuntimeException e) {
            disable(EV_READ);
            fail(BEV_EVENT_READING, e);
            return;
        } finally {
            input.freeze(false);
        }
        if (n < 0) {
            disable(EV_READ);
            end(BEV_EVENT_READING | BEV_EVENT_EOF, EndReason.EOF, 0);
            return;
        }
        if (n == 0) {
            return;
        }
        if (LOG.isTraceEnabled()) {
            LOG.trace("{}: read {} bytes (asked {}), input {}", logName(), n, howmuch, input.getLength());
        }
        bytesRead += n;
        adaptReadGuess(n, howmuch);
        chargeRead(n);
        timeouts.readProgress();
        if (input.getLength() >= wm.readLow) {
            callbacks.runRead(0);
            // What the read callback queued (an echo, a reply) is written now rather than at the
            // end of the turn: everything it added is still coalesced into one write, and the
            // bytes are written while they are in the CPU's cache. At the end of a turn with ten
            // 64 KiB reads the first ones' bytes are cold again, and the pool hands each read
            // fresh segments instead of the ones the previous write just gave back (measured:
            // PERF-NOTES, "Bulk plain: the end-of-turn write").
            if (writeSoon.cancel()) {
                writeNow();
            }
        }
    }

    private void onWritable() {
        if (freed) {
            return;
        }
        if (connecting) {
            finishConnect();
            return;
        }
        writeNow();
    }

    private void finishConnect() {
        try {
            if (!channel.finishConnect()) {
                return;
            }
        } catch (IOException | RuntimeException e) {
            connecting = false;
            logConnectFailed(e);
            writeSoon.cancel();
            writeEv.del();
            readEv.del();
            timeouts.adjustWrite(); // nothing can be written now: no write timeout after the error
            fail(0, e);
            return;
        }
        connecting = false;
        connected();
        timeouts.writeProgress(); // the connect was progress: restart the write timer, or stop it if idle
        if (!directions.writingActive() || output.getLength() == 0) {
            writeEv.del();
        }
        if (directions.readingActive()) {
            readEv.add();
        }
        callbacks.runEvent(BEV_EVENT_CONNECTED, 0);
        writeNow();
    }

    /**
     * {@code bufferevent_flush} on a socket: libevent does nothing here. With FLUSH or FINISHED
     * we write what the output holds now, in one gathering write, instead of at the end of the
     * loop turn: a layer above that is about to free this bufferevent (a TLS bufferevent that
     * has just queued its close_notify) can push its last bytes out first. Returns 1 if bytes
     * were written.
     */
    @Override
    int onFlush(int iotype, FlushMode mode) {
        if ((iotype & EV_WRITE) == 0 || mode == FlushMode.NORMAL || output.getLength() == 0) {
            return 0;
        }
        if (!transportAlive()) {
            reportTransportLost(EV_WRITE);
            return -1;
        }
        long before = output.getLength();
        writeNow();
        return !isFreed() && output.getLength() < before ? 1 : 0;
    }

    /** One gathering write of what the output holds; waits for writability if some is left. */
    private void writeNow() {
        if (!directions.writingActive() || connecting || writeEv == null) {
            return;
        }
        if (output.getLength() == 0) {
            writeEv.del();
            return;
        }
        long howmuch = getMaxToWrite();
        if (howmuch <= 0) {
            return; // the rate limiter resumes us
        }
        long n;
        output.unfreeze(true);
        try {
            n = output.writeTo(channel, howmuch);
        } catch (IOException | RuntimeException e) {
            disable(EV_WRITE);
            fail(BEV_EVENT_WRITING, e);
            return;
        } finally {
            output.freeze(true);
        }
        if (n > 0) {
            bytesWritten += n;
            chargeWrite(n);
        }
        if (LOG.isTraceEnabled()) {
            LOG.trace("{}: wrote {} bytes (allowed {}), {} left", logName(), n, howmuch, output.getLength());
        }
        if (freed) {
            return;
        }
        if (output.getLength() == 0) {
            writeEv.del();
        } else if (directions.writingActive()) {
            writeEv.add();
        }
        timeouts.writeProgress();
        if (n > 0 && output.getLength() <= wm.writeLow) {
            callbacks.runWrite(0);
        }
    }

    @Override
    boolean connectPending() {
        return connecting && channel != null && channel.isConnectionPending();
    }

    /**
     * A pending connect counts as something to write, so the write timeout bounds a connect
     * ({@code WRITING|TIMEOUT}, the connect goes on unless the bufferevent is freed), as in
     * libevent, whose connect waits on the write event and its timeout. A channel that is not
     * connected and not connecting has nothing it could write.
     */
    @Override
    boolean hasPendingOutput() {
        if (channel == null) {
            return super.hasPendingOutput();
        }
        if (channel.isConnectionPending()) {
            return true;
        }
        return channel.isConnected() && super.hasPendingOutput();
    }

    private void dropEvents() {
        if (readEv != null) {
            readEv.del();
            readEv = null;
        }
        if (writeEv != null) {
            writeEv.del();
            writeEv = null;
        }
    }

    /** The class and identity, then the channel's local and remote address, as far as known. */
    @Override
    String logName() {
        SocketChannel ch = channel;
        if (ch == null) {
            return super.logName() + " [no channel]";
        }
        return super.logName() + " [" + address(ch, true) + " -> " + address(ch, false) + "]";
    }

    /** The channel's local or remote address as text, as far as known (for the JFR event). */
    String addressText(boolean local) {
        return channel == null ? null : address(channel, local);
    }

    private static String address(SocketChannel ch, boolean local) {
        try {
            SocketAddress a = local ? ch.getLocalAddress() : ch.getRemoteAddress();
            return a == null ? "?" : a.toString();
        } catch (IOException | RuntimeException closed) {
            return "closed";
        }
    }

    @Override
    void onFree() {
        writeSoon.cancel();
        dropEvents();
        if (LOG.isDebugEnabled() && channel != null) {
            LOG.debug("{}: {}", logName(), ownChannel || (options & BEV_OPT_CLOSE_ON_FREE) != 0
                    ? "closing the channel" : "the channel stays open (no BEV_OPT_CLOSE_ON_FREE)");
        }
        if (channel != null && (ownChannel || (options & BEV_OPT_CLOSE_ON_FREE) != 0)) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Closing is all that is left to do; there is nobody to tell.
            }
        }
    }

    /**
     * What the loop calls for this bufferevent: the read event, the write event (told apart by
     * the flags each was made with) and the deferred write. One object instead of three lambdas:
     * 32 bytes less for every connection.
     */
    private static final class Io implements EventCallback, Runnable {
        private final SocketBufferevent bev;

        Io(SocketBufferevent bev) {
            this.bev = bev;
        }

        @Override
        public void call(Event ev, int what) {
            if ((ev.getEvents() & Event.EV_READ) != 0) {
                bev.onReadable();
            } else {
                bev.onWritable();
            }
        }

        /** The deferred write ({@code writeSoon}). */
        @Override
        public void run() {
            bev.writeNow();
        }

        @Override
        public String toString() {
            return bev.logName();
        }
    }
}
