package org.jevent.dtls;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Objects;
import org.jevent.bufferevent.ssl.SslContexts;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;
import org.jevent.eventbase.EventCallback;

/**
 * One UDP {@link DatagramChannel} driven by an {@link EventBase}: datagrams are read and written
 * on the loop thread only.
 *
 * <p>Reading: on each readiness event at most {@link Options#maxDatagramsPerEvent} datagrams are
 * received and handed to the {@link Receiver}, so one busy socket cannot starve the other events
 * of the loop (the selector is level-triggered: what is left is read on the next turn). Every
 * datagram is received into the same preallocated direct buffer; the receiver sees it as a
 * window valid only during the call, writable because the JDK's DTLS engine decrypts in place in
 * its source buffer (a read-only one fails with ReadOnlyBufferException inside {@code unwrap}). A datagram longer than
 * {@link Options#maxDatagramSize} is dropped and counted (the buffer is one byte longer than the
 * limit, so truncation by the kernel is detected instead of delivering a cut datagram).
 *
 * <p>Writing: {@link #send} tries the socket at once; when the socket would block (or older
 * datagrams still wait) the datagram is copied into a bounded ring of direct buffers (one slab,
 * made the first time a datagram has to wait) and written when the socket becomes writable, in
 * order. A full ring drops the datagram
 * and counts it: UDP may lose datagrams anyway, and an unbounded queue would turn a slow kernel
 * buffer into unbounded memory.
 *
 * <p>Allocation: none per datagram on our side. {@link DatagramChannel#receive} returns the
 * sender's {@link InetSocketAddress}; the JDK (16+) caches the last sender's address object and
 * returns the same instance while the sender does not change, so a stream from one peer costs
 * nothing, but each change of sender allocates one InetSocketAddress and its InetAddress (measured
 * in {@code UdpEndpointTest}). A server serving many interleaved peers therefore allocates about
 * one small address object per datagram whose sender differs from the previous one; that is the
 * residual allocation of the unconnected-socket design.
 *
 * <p>Invariant: the ring's slots are all null (nothing ever waited) or all made; {@code queued}
 * datagrams sit in {@code ring[head .. head+queued)} (mod length),
 * each flipped (position 0, limit its length) with its target in {@code targets}; the write event
 * is pending iff {@code queued > 0}; the read event is pending iff the endpoint is open and not
 * paused. All of it is touched only on the base's loop thread.
 */
public final class UdpEndpoint implements AutoCloseable {
    /** Receives each datagram read from the socket. */
    @FunctionalInterface
    public interface Receiver {
        /**
         * One datagram. {@code datagram} is valid only during this call (the buffer is reused for
         * the next one); copy what must outlive it. {@code from} is the sender; it may be the same
         * instance as in earlier calls, and must not be mutated (it is immutable anyway).
         *
         * @param endpoint the endpoint that read it
         * @param datagram the datagram's bytes, position 0, limit its length; the receiver may
         *     change them (decrypt in place)
         * @param from the sender
         */
        void onDatagram(UdpEndpoint endpoint, ByteBuffer datagram, InetSocketAddress from);
    }

    /**
     * The socket's send call, a seam for tests: Linux never refuses a datagram on loopback (the
     * kernel hands it to the receiver, or drops it there, inside the send), so a test that must
     * see a full send buffer gives one that returns 0 as {@link DatagramChannel#send} then does.
     */
    @FunctionalInterface
    interface SendCall {
        /** As {@link DatagramChannel#send}: the bytes sent, all of them or 0 (would block). */
        int send(DatagramChannel channel, ByteBuffer datagram, InetSocketAddress to) throws IOException;
    }

    /** The real one; the only one outside tests, so the call is monomorphic and inlined. */
    static final SendCall SOCKET_SEND = DatagramChannel::send;

    /** Settings, with defaults fit for DTLS on a 1,500-byte Ethernet path. */
    public static final class Options {
        /** Largest datagram accepted or sent; the IPv4 UDP maximum payload is 65,507. */
        int maxDatagramSize = DEFAULT_MAX_DATAGRAM_SIZE;
        int maxDatagramsPerEvent = DEFAULT_MAX_DATAGRAMS_PER_EVENT;
        int sendQueueCapacity = DEFAULT_SEND_QUEUE_CAPACITY;
        int receiveBufferBytes;
        int sendBufferBytes;
        boolean reuseAddress;
        InetSocketAddress remote;

        /**
         * The largest datagram read or written; longer received datagrams are dropped.
         *
         * @param bytes 1 .. 65,507
         * @return these options
         */
        public Options maxDatagramSize(int bytes) {
            if (bytes < 1 || bytes > 65_507) {
                throw new IllegalArgumentException("maxDatagramSize must be 1..65507: " + bytes);
            }
            maxDatagramSize = bytes;
            return this;
        }

        /**
         * How many datagrams one readiness event reads before yielding to the rest of the loop.
         *
         * @param count at least 1
         * @return these options
         */
        public Options maxDatagramsPerEvent(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("maxDatagramsPerEvent must be >= 1: " + count);
            }
            maxDatagramsPerEvent = count;
            return this;
        }

        /**
         * How many datagrams may wait for a writable socket; more are dropped and counted.
         *
         * @param count at least 1
         * @return these options
         */
        public Options sendQueueCapacity(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("sendQueueCapacity must be >= 1: " + count);
            }
            sendQueueCapacity = count;
            return this;
        }

        /**
         * SO_RCVBUF; 0 keeps the system default.
         *
         * @param bytes the size
         * @return these options
         */
        public Options receiveBufferBytes(int bytes) {
            receiveBufferBytes = requireNonNegative(bytes);
            return this;
        }

        /**
         * SO_SNDBUF; 0 keeps the system default.
         *
         * @param bytes the size
         * @return these options
         */
        public Options sendBufferBytes(int bytes) {
            sendBufferBytes = requireNonNegative(bytes);
            return this;
        }

        /**
         * SO_REUSEADDR before binding.
         *
         * @param on the flag
         * @return these options
         */
        public Options reuseAddress(boolean on) {
            reuseAddress = on;
            return this;
        }

        /**
         * Connects the socket to {@code remote} once bound ({@code connect(2)} on a datagram
         * socket): the kernel picks the source address at once ({@link #localAddress()} then
         * gives it instead of a wildcard) and delivers only datagrams from {@code remote}; sends
         * must go to {@code remote}, and an ICMP error (a closed port) fails the next send
         * ({@link #sendErrors()}) or read. Unconnected by default.
         *
         * @param remote the only peer, or null for none
         * @return these options
         */
        public Options connect(InetSocketAddress remote) {
            this.remote = remote;
            return this;
        }

        private static int requireNonNegative(int v) {
            if (v < 0) {
                throw new IllegalArgumentException("negative size: " + v);
            }
            return v;
        }
    }

    /**
     * 1,500-byte Ethernet MTU minus IPv6 (40) and UDP (8) headers: fits IPv4 and IPv6 paths; the
     * same as {@link SslContexts#DEFAULT_DTLS_MAX_PACKET_SIZE}.
     */
    public static final int DEFAULT_MAX_DATAGRAM_SIZE = SslContexts.DEFAULT_DTLS_MAX_PACKET_SIZE;
    /** libevent reads at most 16 packets per event in its own UDP code paths (evdns); so do we. */
    public static final int DEFAULT_MAX_DATAGRAMS_PER_EVENT = 16;
    /** Datagrams that may wait for a writable socket. */
    public static final int DEFAULT_SEND_QUEUE_CAPACITY = 256;

    private final EventBase base;
    private final DatagramChannel channel;
    private final Receiver receiver;
    private final int maxDatagramSize;
    private final int maxDatagramsPerEvent;
    private final ByteBuffer receiveBuffer;
    private final ByteBuffer[] ring;
    private final InetSocketAddress[] targets;
    private final Event readEvent;
    private final Event writeEvent;
    /** Read from the socket once bound (and connected): it does not change, and is known after close. */
    private final InetSocketAddress localAddress;
    private SendCall sendCall = SOCKET_SEND;
    private int head;
    private int queued;
    private boolean closed;
    /** {@link #closeAfterFlush} was called: no more reads or sends, close once the ring is empty. */
    private boolean closing;
    private Event flushLimit;
    private boolean paused;

    private long datagramsReceived;
    private long datagramsSent;
    private long oversizedDropped;
    private long sendQueueDropped;
    private long sendErrors;
    private long readEventsAtLimit;
    private IOException lastSendError;

    private UdpEndpoint(EventBase base, DatagramChannel channel, Options options, Receiver receiver)
            throws IOException {
        this.base = base;
        this.localAddress = (InetSocketAddress) channel.getLocalAddress();
        this.channel = channel;
        this.receiver = receiver;
        this.maxDatagramSize = options.maxDatagramSize;
        this.maxDatagramsPerEvent = options.maxDatagramsPerEvent;
        // One byte more than the limit: a datagram that fills it was longer than allowed.
        this.receiveBuffer = ByteBuffer.allocateDirect(maxDatagramSize + 1);
        this.ring = new ByteBuffer[options.sendQueueCapacity];
        this.targets = new InetSocketAddress[options.sendQueueCapacity];
        EventCallback onRead = (ev, what) -> readReady();
        EventCallback onWrite = (ev, what) -> writeReady();
        this.readEvent = new Event(base, channel, Event.EV_READ | Event.EV_PERSIST, onRead);
        this.writeEvent = new Event(base, channel, Event.EV_WRITE | Event.EV_PERSIST, onWrite);
    }

    /**
     * Opens a UDP socket bound to {@code local} and starts reading. Must be called on the loop
     * thread (or before the loop runs, on the base's owner thread).
     *
     * @param base the loop
     * @param local the address to bind; port 0 picks a free port
     * @param options settings
     * @param receiver called for each datagram
     * @return the endpoint, reading
     * @throws IOException if the socket cannot be opened or bound
     */
    public static UdpEndpoint bind(EventBase base, InetSocketAddress local, Options options, Receiver receiver)
            throws IOException {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(local, "local");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(receiver, "receiver");
        base.checkInLoopThread();
        DatagramChannel ch = DatagramChannel.open(local.getAddress() instanceof java.net.Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        try {
            if (options.reuseAddress) {
                ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            }
            if (options.receiveBufferBytes > 0) {
                ch.setOption(StandardSocketOptions.SO_RCVBUF, options.receiveBufferBytes);
            }
            if (options.sendBufferBytes > 0) {
                ch.setOption(StandardSocketOptions.SO_SNDBUF, options.sendBufferBytes);
            }
            ch.configureBlocking(false);
            ch.bind(local);
            if (options.remote != null) {
                ch.connect(options.remote);
            }
            UdpEndpoint ep = new UdpEndpoint(base, ch, options, receiver);
            ep.readEvent.add();
            return ep;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Sends one datagram to {@code to}, now if the socket takes it, else after the datagrams
     * already queued. The bytes are copied if they have to wait; {@code datagram}'s position
     * advances past what was sent or queued.
     *
     * @param datagram the bytes from position to limit
     * @param to the destination
     * @return true if sent or queued, false if dropped (queue full, or a send error: see
     *     {@link #lastSendError()})
     * @throws IllegalArgumentException if the datagram is longer than the maximum size
     * @throws IllegalStateException off the loop thread or after {@link #close()}
     */
    public boolean send(ByteBuffer datagram, InetSocketAddress to) {
        base.checkInLoopThread();
        if (closed || closing) {
            throw new IllegalStateException(closed ? "endpoint closed" : "endpoint closing");
        }
        int len = datagram.remaining();
        if (len > maxDatagramSize) {
            throw new IllegalArgumentException("datagram of " + len + " bytes exceeds maxDatagramSize " + maxDatagramSize);
        }
        if (queued == 0) {
            try {
                if (sendCall.send(channel, datagram, to) > 0 || len == 0) {
                    datagramsSent++;
                    return true;
                }
            } catch (IOException e) {
                return sendFailed(datagram, e);
            }
        }
        if (queued == ring.length) {
            sendQueueDropped++;
            datagram.position(datagram.limit());
            return false;
        }
        if (ring[0] == null) {
            allocateRing();
        }
        int slot = (head + queued) % ring.length;
        ByteBuffer copy = ring[slot];
        copy.clear();
        copy.put(datagram).flip();
        targets[slot] = to;
        if (queued++ == 0) {
            writeEvent.add();
        }
        return true;
    }

    /**
     * The send ring's memory, made the first time a datagram must wait: a UDP send seldom
     * blocks (on loopback never), and each client session has an endpoint of its own, so an
     * endpoint that never waits never pays for it (256 slots of 1,452 bytes are 372 KB). One
     * slab, cut into slots: one allocation, and the slots stay adjacent in memory.
     */
    private void allocateRing() {
        ByteBuffer slab = ByteBuffer.allocateDirect(ring.length * maxDatagramSize);
        for (int i = 0; i < ring.length; i++) {
            slab.limit((i + 1) * maxDatagramSize).position(i * maxDatagramSize);
            ring[i] = slab.slice();
        }
    }

    private boolean sendFailed(ByteBuffer datagram, IOException e) {
        // Unconnected UDP: an error concerns one datagram (no route, message too long); the
        // socket goes on serving every other peer.
        sendErrors++;
        lastSendError = e;
        datagram.position(datagram.limit());
        return false;
    }

    private void writeReady() {
        try {
            while (queued > 0) {
                ByteBuffer d = ring[head];
                try {
                    if (sendCall.send(channel, d, targets[head]) == 0 && d.hasRemaining()) {
                        return; // still full: stay registered for EV_WRITE
                    }
                    datagramsSent++;
                } catch (IOException e) {
                    sendFailed(d, e);
                }
                targets[head] = null;
                head = (head + 1) % ring.length;
                queued--;
            }
        } finally {
            if (queued == 0 && !closed) {
                writeEvent.del();
                if (closing) {
                    close();
                }
            }
        }
    }

    private void readReady() {
        int n = 0;
        while (n < maxDatagramsPerEvent && !paused && !closed && !closing) {
            receiveBuffer.clear();
            SocketAddress from;
            try {
                from = channel.receive(receiveBuffer);
            } catch (IOException e) {
                // Linux reports ICMP errors only on connected sockets; anything else is a
                // one-off read failure, the socket stays usable.
                return;
            }
            if (from == null) {
                return;
            }
            n++;
            int len = receiveBuffer.position();
            if (len > maxDatagramSize) {
                oversizedDropped++;
                continue;
            }
            datagramsReceived++;
            receiveBuffer.flip();
            receiver.onDatagram(this, receiveBuffer, (InetSocketAddress) from);
        }
        if (n == maxDatagramsPerEvent) {
            readEventsAtLimit++;
        }
    }

    /**
     * Stops reading until {@link #resume()}; datagrams wait in the kernel buffer (and are lost
     * when it is full, as UDP does).
     */
    public void pause() {
        base.checkInLoopThread();
        if (!paused && !closed) {
            paused = true;
            readEvent.del();
        }
    }

    /** Reads again after {@link #pause()}. */
    public void resume() {
        base.checkInLoopThread();
        if (paused && !closed) {
            paused = false;
            readEvent.add();
        }
    }

    /**
     * The address the socket is bound to, with the port picked when bound to port 0: a wildcard
     * address ({@code 0.0.0.0} or {@code ::}) when bound to one and not connected ({@link
     * Options#connect}); still known after {@link #close()}.
     *
     * @return the local address
     * @throws IOException not thrown any more (the address is read once, when bound); declared
     *     so that callers written when it was still compile
     */
    public InetSocketAddress localAddress() throws IOException {
        return localAddress;
    }

    /** @return {@link #localAddress()}, without the checked exception */
    InetSocketAddress boundAddress() {
        return localAddress;
    }

    /** Replaces the socket's send call (tests: a send buffer that is full for a while). */
    void sendCall(SendCall call) {
        base.checkInLoopThread();
        sendCall = Objects.requireNonNull(call, "call");
    }

    /** @return the base this endpoint runs on */
    public EventBase base() {
        return base;
    }

    /** @return the largest datagram read or written */
    public int maxDatagramSize() {
        return maxDatagramSize;
    }

    /** @return datagrams handed to the receiver */
    public long datagramsReceived() {
        return datagramsReceived;
    }

    /** @return datagrams the socket accepted */
    public long datagramsSent() {
        return datagramsSent;
    }

    /** @return received datagrams dropped for exceeding the maximum size */
    public long oversizedDropped() {
        return oversizedDropped;
    }

    /** @return datagrams dropped because the send queue was full */
    public long sendQueueDropped() {
        return sendQueueDropped;
    }

    /** @return datagrams the socket refused with an error */
    public long sendErrors() {
        return sendErrors;
    }

    /** @return the last send error, or null */
    public IOException lastSendError() {
        return lastSendError;
    }

    /** @return readiness events that stopped at the per-event limit with data possibly left */
    public long readEventsAtLimit() {
        return readEventsAtLimit;
    }

    /** @return datagrams waiting for a writable socket */
    public int sendQueued() {
        return queued;
    }

    /** @return whether {@link #close()} or {@link #closeAfterFlush} was called: nothing more can be sent */
    public boolean isClosed() {
        return closed || closing;
    }

    /**
     * Stops reading and sending now, and closes once the datagrams waiting for a writable socket
     * are out, or after {@code limit} at the latest (then the rest is dropped). For a last word,
     * such as the close_notify a DTLS server sends every peer before it goes. Idempotent; on the
     * loop thread.
     *
     * @param limit the longest wait for the send queue to drain
     */
    public void closeAfterFlush(java.time.Duration limit) {
        base.checkInLoopThread();
        if (closed || closing) {
            return;
        }
        if (queued == 0) {
            close();
            return;
        }
        closing = true;
        readEvent.del();
        flushLimit = Event.timer(base, (ev, what) -> close());
        flushLimit.add(limit);
    }

    /**
     * Deletes the events and closes the socket; queued datagrams are dropped. Idempotent; on the
     * loop thread. The port is released at the base's next loop turn: NIO defers closing a channel
     * registered with a selector until the selector deregisters it.
     */
    @Override
    public void close() {
        base.checkInLoopThread();
        if (closed) {
            return;
        }
        closed = true;
        closing = false;
        readEvent.del();
        writeEvent.del();
        if (flushLimit != null) {
            flushLimit.del();
        }
        for (int i = 0; i < targets.length; i++) {
            targets[i] = null;
        }
        queued = 0;
        try {
            channel.close();
        } catch (IOException e) {
            // Closing a datagram socket cannot lose data; nothing to report.
        }
    }

    /** libevent-style alias of {@link #close()}. */
    public void free() {
        close();
    }
}
