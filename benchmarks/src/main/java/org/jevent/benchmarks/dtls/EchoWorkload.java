package org.jevent.benchmarks.dtls;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jevent.benchmarks.echo.ProcFs;
import org.jevent.benchmarks.echo.ServerProcess;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;

/**
 * Echoed datagrams per second over established sessions: {@code sessions} links, each keeping
 * {@code depth} messages of {@code size} bytes in flight, spread over the client loops. Every
 * echo is checked byte for byte: a message carries its link's number and its sequence number
 * in its first 8 bytes, then a pattern of its link; an echo that differs fails the run.
 *
 * <p>Datagrams may be lost (a full socket buffer on either side): an echo with a later sequence
 * number than the oldest outstanding one counts those before it as lost, and a link that heard
 * nothing for {@value #STALL_MILLIS} ms counts what it has outstanding as lost and sends a new
 * window; echoes that come after that are late, counted and not counted as echoed. Losses are
 * printed with the result; a run where they matter says so.
 */
final class EchoWorkload {
    static final int STALL_MILLIS = 500;

    /** What a timed window measured. */
    record Result(long echoed, double seconds, double serverCpuSeconds, Map<String, Double> threads, long lost,
            long late) {
        double perSecond() {
            return echoed / seconds;
        }

        double perCpuSecond() {
            return echoed / serverCpuSeconds;
        }

        /** Per CPU-second of the server's application threads (JIT and GC left out). */
        double perAppCpuSecond() {
            return echoed / threads.getOrDefault("app", serverCpuSeconds);
        }
    }

    private EchoWorkload() {
    }

    static Result run(ServerProcess server, ClientSide side, ClientLoops loops, int sessions, int size, int depth,
            int warmup, int seconds) throws Exception {
        Driver[] drivers = new Driver[loops.size()];
        for (int i = 0; i < drivers.length; i++) {
            int loop = i;
            drivers[i] = loops.call(i, () -> new Driver(side, loops.base(loop), loop, size, depth)); // its timer is the loop's
        }
        for (int j = 0; j < sessions; j++) {
            Driver d = drivers[j % drivers.length];
            int id = j;
            loops.run(d.loop, () -> d.open(id));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (connected(drivers) < sessions) {
            String failure = failure(drivers);
            if (failure != null || System.nanoTime() > deadline) {
                stop(loops, drivers);
                throw new IllegalStateException(server.impl + ": " + connected(drivers) + " of " + sessions
                        + " sessions up; " + failure);
            }
            Thread.sleep(20);
        }
        try {
            Thread.sleep(warmup * 1000L);
            long e0 = sum(drivers, 0);
            long lost0 = sum(drivers, 1);
            long late0 = sum(drivers, 2);
            Map<String, Long> threads0 = server.threadCpuNanos();
            long cpu0 = server.cpuNanos();
            long t0 = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            long e1 = sum(drivers, 0);
            long cpu1 = server.cpuNanos();
            long t1 = System.nanoTime();
            Result r = new Result(e1 - e0, (t1 - t0) / 1e9, (cpu1 - cpu0) / 1e9,
                    ProcFs.diff(threads0, server.threadCpuNanos()), sum(drivers, 1) - lost0, sum(drivers, 2) - late0);
            String failure = failure(drivers);
            if (failure != null) {
                throw new IllegalStateException(server.impl + ": " + failure);
            }
            return r;
        } finally {
            stop(loops, drivers);
        }
    }

    private static void stop(ClientLoops loops, Driver[] drivers) throws Exception {
        for (Driver d : drivers) {
            loops.call(d.loop, () -> {
                d.stop();
                return null;
            });
        }
    }

    private static int connected(Driver[] drivers) {
        int n = 0;
        for (Driver d : drivers) {
            n += d.connected;
        }
        return n;
    }

    private static String failure(Driver[] drivers) {
        for (Driver d : drivers) {
            if (d.failure != null) {
                return d.failure;
            }
        }
        return null;
    }

    private static long sum(Driver[] drivers, int what) {
        long n = 0;
        for (Driver d : drivers) {
            n += what == 0 ? d.echoed : what == 1 ? d.lost : d.late;
        }
        return n;
    }

    /** One client loop's links; its fields are written on that loop only (read by the driver). */
    private static final class Driver implements ClientSide.Handler {
        final int loop;
        private final ClientSide side;
        private final EventBase base;
        private final int size;
        private final int depth;
        private final List<Conn> conns = new ArrayList<>();
        private final Event stallCheck;
        volatile int connected;
        volatile long echoed;
        volatile long lost;
        volatile long late;
        volatile String failure;
        private boolean stopped;

        Driver(ClientSide side, EventBase base, int loop, int size, int depth) {
            this.side = side;
            this.base = base;
            this.loop = loop;
            this.size = size;
            this.depth = depth;
            this.stallCheck = new Event(base, null, Event.EV_PERSIST, (ev, what) -> checkStalls());
        }

        void open(int id) {
            try {
                Conn c = new Conn(id, size);
                conns.add(c);
                c.link = side.open(loop, base, this, c);
                if (conns.size() == 1) {
                    stallCheck.add(java.time.Duration.ofMillis(100));
                }
            } catch (Exception e) {
                failure = "open: " + e;
            }
        }

        @Override
        public void connected(ClientSide.Link link) {
            Conn c = (Conn) link.attachment;
            c.link = link; // plain UDP calls back from inside open()
            connected++;
            c.lastProgress = System.nanoTime();
            fill(c);
        }

        @Override
        public void message(ClientSide.Link link, ByteBuffer m) {
            Conn c = (Conn) link.attachment;
            if (stopped || c == null) {
                return;
            }
            int p = m.position();
            if (m.remaining() != size || m.getInt(p) != c.id || !c.bodyMatches(m, p)) {
                failure = "echo mismatch on link " + c.id + ": " + m.remaining() + " bytes, id " + m.getInt(p);
                return;
            }
            int seq = m.getInt(p + 4);
            if (seq < c.expect || seq >= c.next) {
                late++;
                return;
            }
            lost += seq - c.expect;
            c.outstanding -= seq - c.expect + 1;
            c.expect = seq + 1;
            echoed++;
            c.lastProgress = System.nanoTime();
            fill(c);
        }

        @Override
        public void ended(ClientSide.Link link, String why) {
            if (!stopped) {
                failure = "link ended: " + why;
            }
        }

        private void fill(Conn c) {
            while (c.outstanding < depth && !stopped) {
                c.out.clear();
                c.out.putInt(4, c.next);
                if (!c.link.send(c.out)) {
                    // refused by a full socket: counted as lost when the stall check runs
                    c.next++;
                    c.outstanding++;
                    return;
                }
                c.next++;
                c.outstanding++;
            }
        }

        private void checkStalls() {
            long now = System.nanoTime();
            for (Conn c : conns) {
                if (c.link != null && c.outstanding > 0 && now - c.lastProgress > TimeUnit.MILLISECONDS.toNanos(STALL_MILLIS)) {
                    lost += c.outstanding;
                    c.outstanding = 0;
                    c.expect = c.next;
                    c.lastProgress = now;
                    fill(c);
                }
            }
        }

        void stop() {
            stopped = true;
            stallCheck.del();
            for (Conn c : conns) {
                if (c.link != null) {
                    c.link.close();
                }
            }
            conns.clear();
        }
    }

    /** One link's messages: the next sequence number to send and the oldest still expected. */
    private static final class Conn {
        final int id;
        final ByteBuffer out;
        ClientSide.Link link;
        int next;
        int expect;
        int outstanding;
        long lastProgress;

        Conn(int id, int size) {
            this.id = id;
            this.out = ByteBuffer.allocate(size);
            out.putInt(0, id);
            for (int i = 8; i < size; i++) {
                out.put(i, pattern(id, i));
            }
        }

        static byte pattern(int id, int i) {
            return (byte) (id * 31 + i);
        }

        boolean bodyMatches(ByteBuffer m, int p) {
            for (int i = 8; i < out.capacity(); i++) {
                if (m.get(p + i) != pattern(id, i)) {
                    return false;
                }
            }
            return true;
        }
    }
}
