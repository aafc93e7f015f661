package org.jevent.benchmarks.dtls;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jevent.benchmarks.echo.IdleLoad;
import org.jevent.benchmarks.echo.ServerProcess;
import org.jevent.eventbase.EventBase;

/**
 * Server memory per idle session, measured as the TCP load run measures idle connections
 * ({@link IdleLoad#measure}: heap after full GCs and RSS, empty, at a third, at all, marginal
 * per session): on a fresh server, after {@value #WARM} handshakes opened and closed, sessions
 * are opened {@value #IN_FLIGHT} at a time, each proven by one echoed 64-byte message (sent
 * again every second until its echo comes: UDP may lose it), then left silent. Scandium's sessions are counted by its connection listener, jevent's by the server.
 */
final class IdleSessions {
    static final int WARM = 500;
    static final int IN_FLIGHT = 32;

    private IdleSessions() {
    }

    static IdleLoad.Result run(ServerProcess server, ClientSide side, ClientLoops loops, int count) throws Exception {
        HandshakeWorkload.warm(side, loops, 8, WARM);
        int baseline = server.awaitConnections(0, 30);
        if (baseline != 0) {
            System.err.printf("  idle: %s still counts %d sessions after the warm-up's close_notify%n", server.impl,
                    baseline);
        }
        return IdleLoad.measure(server, count, (firstId, n, open) -> {
            openVerified(side, loops, n, open);
            int want = baseline + open.size();
            int seen = server.awaitConnections(want, 60);
            if (seen != want) {
                throw new IllegalStateException(server.impl + " counts " + seen + " sessions of " + want);
            }
        });
    }

    /** Opens {@code n} sessions, each proven by one echo, and adds their {@code free} to {@code open}. */
    private static void openVerified(ClientSide side, ClientLoops loops, int n, List<AutoCloseable> open)
            throws Exception {
        Opener[] openers = new Opener[loops.size()];
        for (int i = 0; i < openers.length; i++) {
            int share = n / openers.length + (i < n % openers.length ? 1 : 0);
            int loop = i;
            Opener o = loops.call(i, () -> new Opener(side, loops.base(loop), loop, share)); // its timer is the loop's
            openers[i] = o;
            loops.run(i, o::start);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        for (Opener o : openers) {
            while (o.ready < o.target && o.failure == null && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            loops.call(o.loop, () -> {
                o.resend.del();
                return null;
            });
            if (o.ready < o.target) {
                throw new IllegalStateException("idle sessions: " + o.ready + " of " + o.target + " up; " + o.failure);
            }
            for (ClientSide.Link l : o.links) {
                open.add(() -> loops.call(o.loop, () -> {
                    l.free();
                    return null;
                }));
            }
        }
    }

    /** Opens its share on one loop, {@value #IN_FLIGHT} / loops at a time. */
    private static final class Opener implements ClientSide.Handler {
        private static final int SIZE = 64;
        final int loop;
        final int target;
        final java.util.List<ClientSide.Link> links = new java.util.ArrayList<>();
        private final ClientSide side;
        private final EventBase base;
        private final ByteBuffer out = ByteBuffer.allocate(SIZE);
        /** Connected links whose echo has not come yet: their message is sent again on a timer (UDP loses). */
        private final java.util.Set<ClientSide.Link> unproven = new java.util.HashSet<>();
        final org.jevent.eventbase.Event resend;
        private int started;
        volatile int ready;
        volatile String failure;

        Opener(ClientSide side, EventBase base, int loop, int target) {
            this.side = side;
            this.base = base;
            this.loop = loop;
            this.target = target;
            for (int i = 0; i < SIZE; i++) {
                out.put(i, (byte) (i * 7 + 3));
            }
            resend = new org.jevent.eventbase.Event(base, null, org.jevent.eventbase.Event.EV_PERSIST, (ev, what) -> {
                for (ClientSide.Link l : unproven) {
                    out.clear();
                    l.send(out);
                }
            });
            resend.add(java.time.Duration.ofSeconds(1));
        }

        void start() {
            for (int i = 0; i < IN_FLIGHT && started < target; i++) {
                next();
            }
        }

        private void next() {
            if (started >= target) {
                return;
            }
            started++;
            try {
                side.open(loop, base, this, null);
            } catch (Exception e) {
                failure = "open: " + e;
            }
        }

        @Override
        public void connected(ClientSide.Link link) {
            unproven.add(link);
            out.clear();
            link.send(out);
        }

        @Override
        public void message(ClientSide.Link link, ByteBuffer m) {
            if (link.attachment != null) {
                return; // a late copy
            }
            if (!m.equals(out.clear())) {
                failure = "echo mismatch";
                return;
            }
            link.attachment = Boolean.TRUE;
            unproven.remove(link);
            links.add(link);
            ready++;
            next();
        }

        @Override
        public void ended(ClientSide.Link link, String why) {
            if (link.attachment == null) {
                unproven.remove(link);
                started--; // try again
                next();
            }
        }
    }
}
