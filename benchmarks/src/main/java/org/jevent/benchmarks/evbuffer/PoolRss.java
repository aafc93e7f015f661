package org.jevent.benchmarks.evbuffer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jevent.evbuffer.EvBuffer;
import org.jevent.evbuffer.SegmentPool;

/**
 * Does the process's RSS come back after a burst went through buffers? Issue 11 found a server
 * that had held 53 MiB per stalled connection still at ~360 MiB of RSS after those connections
 * closed and a full GC: the segment pool kept every free segment for ever. The pool now keeps at
 * most {@code jevent.segmentPool.maxBytes} (16 MiB) of free segments and gives whole slabs back.
 *
 * <p>With no argument this runs, in child JVMs of the same build one after the other, the pool
 * as shipped and the pool with the bound lifted ({@code maxBytes} = Long.MAX_VALUE: the old
 * behaviour), each the same burst: {@code buffers} buffers filled with {@code mib} MiB in all
 * (default 50 buffers, 256 MiB: a burst as several stalled echo connections made it), then all
 * freed. A child prints the RSS from {@code /proc/self/status} at start, at the peak, after
 * every buffer was freed, and after a full GC (the pool's released slabs are direct buffers whose
 * memory the JDK frees when they are collected).
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar org.jevent.benchmarks.evbuffer.PoolRss [buffers] [mib]</pre>
 */
public final class PoolRss {
    private static final long MIB = 1024 * 1024;

    private PoolRss() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--child")) {
            child(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
            return;
        }
        int buffers = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        int mib = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        System.out.println("burst: " + buffers + " buffers, " + mib + " MiB in all, then freed; RSS in MiB");
        System.out.printf("%-34s %8s %8s %10s %10s %14s%n", "pool", "start", "peak", "freed", "after GC",
                "pooled after");
        runChild("bounded (as shipped, 16 MiB)", null, buffers, mib);
        runChild("unbounded (the old behaviour)", Long.toString(Long.MAX_VALUE), buffers, mib);
    }

    private static void runChild(String label, String maxBytes, int buffers, int mib) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.add("-XX:MaxDirectMemorySize=2g");
        if (maxBytes != null) {
            cmd.add("-Djevent.segmentPool.maxBytes=" + maxBytes);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), PoolRss.class.getName(), "--child",
                Integer.toString(buffers), Integer.toString(mib)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String line;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            line = r.readLine();
            for (String rest; (rest = r.readLine()) != null;) {
                System.out.println("  " + rest);
            }
        }
        if (p.waitFor() != 0 || line == null) {
            throw new IllegalStateException(label + ": the child failed (exit " + p.exitValue() + ")");
        }
        String[] f = line.split(" ");
        System.out.printf("%-34s %8s %8s %10s %10s %14s%n", label, f[0], f[1], f[2], f[3], f[4]);
    }

    private static void child(int buffers, int mib) throws Exception {
        long start = rss();
        byte[] chunk = new byte[64 * 1024];
        long each = mib * MIB / buffers;
        EvBuffer[] bufs = new EvBuffer[buffers];
        for (int i = 0; i < buffers; i++) {
            bufs[i] = new EvBuffer();
            for (long done = 0; done < each; done += chunk.length) {
                bufs[i].add(chunk, 0, (int) Math.min(chunk.length, each - done));
            }
        }
        long peak = rss();
        for (EvBuffer b : bufs) {
            b.free();
        }
        bufs = null;
        long freed = rss();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200); // the Cleaner thread frees released slabs' memory
        }
        long afterGc = rss();
        long pooled = SegmentPool.current().pooledBytes();
        System.out.println((start / MIB) + " " + (peak / MIB) + " " + (freed / MIB) + " " + (afterGc / MIB) + " "
                + (pooled / MIB) + "MiB");
    }

    private static long rss() throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS in /proc/self/status");
    }
}
