package org.jevent.benchmarks.echo;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What {@code /proc} tells about another process, for servers that cannot answer the driver
 * themselves: CPU time, resident set, and the TCP connections it holds on one local port.
 */
public final class ProcFs {
    /** Clock ticks per second of {@code /proc/PID/stat}'s times ({@code getconf CLK_TCK}). */
    private static final long TICKS = clockTicks();
    private static final String TCP_LISTEN = "0A";

    private ProcFs() {
    }

    private static long clockTicks() {
        try {
            Process p = ChildProcesses.start(new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true));
            String s = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor();
            return Long.parseLong(s);
        } catch (IOException | NumberFormatException e) {
            return 100; // Linux's USER_HZ everywhere that matters
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }

    /**
     * User plus system CPU time of the whole process (every thread, also those that ended),
     * nanoseconds, at clock-tick resolution (10 ms: 0.1% of an 8 s window on one core).
     */
    static long cpuNanos(long pid) throws IOException {
        return ticksNanos(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
    }

    /**
     * CPU time per kind of thread, nanoseconds, from {@code /proc/PID/task/TID/stat}: {@code jit}
     * (C1/C2 compiler threads), {@code gc} (GC workers, the VM thread, G1's concurrent threads),
     * {@code app} (everything else: the event loop, Netty's boss and worker, the C server's one
     * thread). Threads that ended are not counted; the JVM keeps all of these alive.
     */
    static java.util.Map<String, Long> threadCpuNanos(long pid) throws IOException {
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        for (ThreadCpu t : threads(pid)) {
            out.merge(kind(t.comm()), t.nanos(), Long::sum);
        }
        return out;
    }

    /**
     * CPU time of each event-loop thread, nanoseconds, keyed {@code comm/tid}: threads whose name
     * holds {@code -loop-} (an {@code EventBaseGroup}'s {@code jevent-loop-G-i}, the benchmark's
     * Netty {@code netty-loop-P-i}; Linux keeps the first 15 characters of a name). Netty's boss,
     * the example's main thread (it only waits for signals), JIT and GC threads are not loops.
     */
    static java.util.Map<String, Long> loopThreadCpuNanos(long pid) throws IOException {
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        for (ThreadCpu t : threads(pid)) {
            if (t.comm().contains("-loop-")) {
                out.put(t.comm() + "/" + t.tid(), t.nanos());
            }
        }
        return out;
    }

    /** One live thread of a process: its name as Linux keeps it, its id, its CPU time so far. */
    private record ThreadCpu(String comm, String tid, long nanos) {
    }

    /** Every thread of the process that is alive while {@code /proc/PID/task} is read. */
    private static List<ThreadCpu> threads(long pid) throws IOException {
        List<ThreadCpu> out = new java.util.ArrayList<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : tasks) {
                String stat;
                try {
                    stat = Files.readString(t.resolve("stat"));
                } catch (IOException ended) {
                    continue;
                }
                out.add(new ThreadCpu(stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
                        t.getFileName().toString(), ticksNanos(stat)));
            }
        }
        return out;
    }

    /** utime + stime of one {@code stat} line, nanoseconds. */
    private static long ticksNanos(String stat) {
        // The command name (field 2) may hold spaces; the fields after its ')' are fixed.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 1_000_000_000L / TICKS; // fields 14 and 15
    }

    private static String kind(String comm) {
        if (comm.contains("CompilerThre") || comm.startsWith("C1 ") || comm.startsWith("C2 ")) {
            return "jit";
        }
        if (comm.startsWith("GC ") || comm.startsWith("G1 ") || comm.equals("VM Thread") || comm.startsWith("VM Periodic")) {
            return "gc";
        }
        return "app";
    }

    /** Seconds per kind of thread between two {@link #threadCpuNanos} readings. */
    public static java.util.Map<String, Double> diff(java.util.Map<String, Long> before, java.util.Map<String, Long> after) {
        java.util.Map<String, Double> out = new java.util.TreeMap<>();
        for (java.util.Map.Entry<String, Long> e : after.entrySet()) {
            out.put(e.getKey(), (e.getValue() - before.getOrDefault(e.getKey(), 0L)) / 1e9);
        }
        return out;
    }

    /** {@code app 3.02 s, gc 0.01 s, jit 0.12 s}. */
    public static String describe(java.util.Map<String, Double> seconds) {
        StringBuilder b = new StringBuilder();
        for (java.util.Map.Entry<String, Double> e : seconds.entrySet()) {
            b.append(b.length() == 0 ? "" : ", ")
                    .append(String.format(java.util.Locale.ROOT, "%s %.2f s", e.getKey(), e.getValue()));
        }
        return b.toString();
    }

    /** VmRSS of the process, bytes. */
    static long rss(long pid) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS for process " + pid);
    }

    /**
     * TCP connections the process holds on local port {@code port}, listeners excluded: its
     * descriptors that are sockets whose inode {@code /proc/net/tcp} (or tcp6) lists with that
     * local port in a state other than LISTEN. A connection the kernel completed but the server
     * has not accepted yet has no descriptor, and one the server closed has none any more.
     */
    static int connections(long pid, int port) throws IOException {
        Set<String> inodes = new HashSet<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path p = Path.of(table);
            if (!Files.exists(p)) {
                continue;
            }
            List<String> lines = Files.readAllLines(p);
            for (int i = 1; i < lines.size(); i++) {
                String[] f = lines.get(i).trim().split("\\s+");
                String local = f[1];
                int localPort = Integer.parseInt(local.substring(local.indexOf(':') + 1), 16);
                if (localPort == port && !f[3].equals(TCP_LISTEN)) {
                    inodes.add("socket:[" + f[9] + "]");
                }
            }
        }
        int n = 0;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds) {
                try {
                    if (inodes.contains(Files.readSymbolicLink(fd).toString())) {
                        n++;
                    }
                } catch (IOException closedMeanwhile) {
                    // the descriptor went away between the listing and the read: not open
                }
            }
        }
        return n;
    }
}
