package org.jevent.evbuffer;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Measures what a burst through buffers costs the process and what comes back: resident memory
 * (VmRSS from /proc/self/status), the JVM's direct memory in use, and the calling thread's pool,
 * at the start, with the burst held (written round robin into many buffers, as many connections
 * receive at once), after every buffer is freed, and after a garbage collection
 * (the pool gives slabs up by dropping them; the collector frees their memory). Not a test: a
 * program whose figures go into reports. It uses only API that the pool had before it learnt to
 * shrink, so that the same program measures both.
 *
 * <pre>
 * mvn -B -ntp -o -q -pl evbuffer test-compile
 * java -XX:MaxDirectMemorySize=1g -cp evbuffer/target/classes:evbuffer/target/test-classes \
 *     org.jevent.evbuffer.PoolBurstRss [MiB, default 200] [buffers, default 50] [idle seconds]
 * </pre>
 * With idle seconds, no collection is asked for: the program waits that long for one to happen
 * by itself (with G1, {@code -XX:G1PeriodicGCInterval=1000} makes an idle JVM collect).
 */
public final class PoolBurstRss {
    private PoolBurstRss() {
    }

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int buffers = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        int idleSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        SegmentPool pool = SegmentPool.current();
        EvBuffer warm = new EvBuffer();
        warm.add(new byte[100]);
        warm.free();
        print("start", pool);
        EvBuffer[] bufs = new EvBuffer[buffers];
        for (int i = 0; i < buffers; i++) {
            bufs[i] = new EvBuffer();
        }
        // Round robin, a segment's worth at a time, as many connections receiving at once: each
        // slab ends up shared by many buffers.
        byte[] chunk = new byte[SegmentPool.LARGE_SIZE];
        long total = (long) mib * 1024 * 1024;
        for (long done = 0; done < total; done += chunk.length) {
            bufs[(int) (done / chunk.length % buffers)].add(chunk);
        }
        print("burst held (" + mib + " MiB in " + buffers + " buffers)", pool);
        for (EvBuffer b : bufs) {
            b.free();
        }
        print("every buffer freed", pool);
        long before = directUsed();
        if (idleSeconds == 0) {
            System.gc();
        }
        // The collector queues the dropped slabs' cleaners; give them a moment to run (or, with
        // no explicit collection, give an idle JVM's periodic collection the time it was given).
        long waitMillis = idleSeconds == 0 ? 5000 : idleSeconds * 1000L;
        for (long t = 0; t < waitMillis && directUsed() == before; t += 100) {
            Thread.sleep(100);
        }
        Thread.sleep(500);
        print(idleSeconds == 0 ? "after System.gc()" : "after up to " + idleSeconds + " s idle, no explicit GC", pool);
    }

    private static void print(String phase, SegmentPool pool) throws Exception {
        System.out.printf(Locale.ROOT, "%-40s VmRSS %7.1f MiB   direct in use %7.1f MiB   pool keeps %6.1f MiB free%n",
                phase, rssKiB() / 1024.0, directUsed() / 1048576.0, pool.pooledBytes() / 1048576.0);
    }

    private static long rssKiB() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static long directUsed() {
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (b.getName().equals("direct")) {
                return b.getMemoryUsed();
            }
        }
        return -1;
    }
}
