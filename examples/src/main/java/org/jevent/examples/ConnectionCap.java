package org.jevent.examples;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicInteger;
import org.jevent.eventbase.EvConnListener;
import org.slf4j.Logger;

/**
 * The most connections a server example serves at once ({@code --max-connections}). A connection
 * beyond it is accepted and closed at once with a reset, counted, and reported by a
 * {@link RateLimitedWarning}; the listener keeps accepting.
 *
 * <p>Why accept-and-reset rather than disabling the listener until a slot frees: a disabled
 * listener leaves new connections in the kernel's backlog, where the client sees a connection
 * that is never answered (and, once the backlog is full, SYNs that are dropped and retried with
 * growing delays of 1, 3, 7... seconds), so a good client that arrives just after a slot frees
 * may still wait seconds, and the backlog fills with connections whose clients gave up long ago.
 * Accepting and resetting tells each refused client at once, keeps the backlog empty, and costs
 * the server one accept and one close per refused connection, no more than the client's own
 * connect cost it. The reset (SO_LINGER 0) also keeps refused connections out of TIME_WAIT on
 * the server.
 *
 * <p>Invariant: {@code open} is the number of {@link #tryAcquire()} that returned true minus the
 * {@link #release()} calls, and never exceeds {@code max}. Thread-safe: echo-server's loops
 * share one cap.
 */
final class ConnectionCap {
    private final int max;
    private final AtomicInteger open = new AtomicInteger();
    private final RateLimitedWarning refusals;
    private final RateLimitedWarning acceptFailures;
    private final RateLimitedWarning setupFailures;
    private final Logger log;

    ConnectionCap(int max, Logger log) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1: " + max);
        }
        this.max = max;
        this.log = log;
        this.refusals = new RateLimitedWarning(log::warn, "connection limit of " + max + " reached, connections refused");
        this.acceptFailures = new RateLimitedWarning(log::warn, "accept failed (the listener backs off and retries)");
        this.setupFailures = new RateLimitedWarning(log::warn, "cannot set up accepted connections, closed them");
    }

    int max() {
        return max;
    }

    /** Takes a slot for a new connection; false when all {@link #max()} are taken. */
    boolean tryAcquire() {
        while (true) {
            int n = open.get();
            if (n >= max) {
                return false;
            }
            if (open.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives back the slot of a connection that ended; exactly once per successful {@link #tryAcquire()}. */
    void release() {
        if (open.decrementAndGet() < 0) {
            throw new IllegalStateException("connection slot released twice");
        }
    }

    int open() {
        return open.get();
    }

    /** Closes an accepted connection that found no slot: reset, counted, warned about at a limited rate. */
    void refuse(SocketChannel channel, SocketAddress peer) {
        closeWithReset(channel);
        refusals.hit(String.valueOf(peer));
    }

    /** Connections refused so far. */
    long refused() {
        return refusals.total();
    }

    /**
     * The listener's error callback: a failed accept (typically EMFILE, too many open files) is
     * warned about at a limited rate and without a stack trace; the listener itself backs off.
     */
    void acceptFailed(EvConnListener listener, IOException error) {
        acceptFailures.hit(error.getMessage() + ", " + open() + " connection(s) open");
    }

    /**
     * A connection was accepted but its bufferevent or TLS engine could not be made (a Conscrypt
     * engine needs a pipe: at the descriptor limit this, not accept, is what fails first); the
     * caller closed it. Warned about at a limited rate: a flood decides how often it happens.
     */
    void setupFailed(SocketAddress peer, RuntimeException e) {
        setupFailures.hit(peer + ": " + e);
    }

    /**
     * Warns at start-up when the process may open fewer descriptors than {@code max} connections
     * of {@code perConnection} descriptors each, plus a margin for the JVM: then the descriptor
     * limit, not this cap, is what stops accepting (the listener backs off on EMFILE).
     */
    void checkDescriptorBudget(int perConnection, String option) {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (!(os instanceof com.sun.management.UnixOperatingSystemMXBean unix)) {
            return;
        }
        long limit = unix.getMaxFileDescriptorCount();
        long needed = (long) max * perConnection + 64;
        if (limit < needed) {
            log.warn("{} {} may need about {} descriptors ({} per connection) but this process may open {}: beyond"
                    + " that, accepting backs off until descriptors free up; lower {} or raise the limit (ulimit -n)",
                    option, max, needed, perConnection, limit, option);
        }
    }

    static void closeWithReset(SocketChannel channel) {
        try {
            channel.setOption(StandardSocketOptions.SO_LINGER, 0);
        } catch (IOException | RuntimeException ignored) {
            // already reset by the peer: the close below is all that is left
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
