package org.jevent.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongPredicate;
import java.util.function.LongSupplier;

/**
 * What Linux says about a child process, read from {@code /proc/PID}: resident memory
 * ({@code VmRSS} of {@code status}), open descriptors (entries of {@code fd}) and CPU time used
 * ({@code utime + stime} of {@code stat}, in clock ticks of 10 ms). The fault suite judges the
 * example servers by these, from outside, as an operator would.
 */
final class ProcStats {
    /** {@code sysconf(_SC_CLK_TCK)}: 100 on every Linux this runs on (USER_HZ is fixed in the ABI). */
    private static final long NANOS_PER_TICK = 10_000_000L;

    private final long pid;

    ProcStats(long pid) {
        this.pid = pid;
    }

    long pid() {
        return pid;
    }

    /** Resident set size in bytes. */
    long rssBytes() {
        for (String l : lines("status")) {
            if (l.startsWith("VmRSS:")) {
                // "VmRSS:     123456 kB"
                String kb = l.substring(6).trim();
                return Long.parseLong(kb.substring(0, kb.indexOf(' '))) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }

    /** Open descriptors. */
    int fds() {
        int n = 0;
        try (DirectoryStream<Path> d = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path ignored : d) {
                n++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return n;
    }

    /** What the open descriptors point to, grouped ("socket" x 12, "pipe" x 4, ...): for failure messages. */
    String describeFds() {
        java.util.Map<String, Integer> kinds = new java.util.TreeMap<>();
        try (DirectoryStream<Path> d = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path p : d) {
                String target;
                try {
                    target = Files.readSymbolicLink(p).toString();
                } catch (IOException gone) {
                    continue;
                }
                int bracket = target.indexOf(":[");
                String kind = bracket > 0 ? target.substring(0, bracket)
                        : target.startsWith("anon_inode:") ? target : target.endsWith(".jar") ? "jar" : "file";
                kinds.merge(kind, 1, Integer::sum);
            }
        } catch (IOException e) {
            return "(cannot list: " + e + ")";
        }
        return kinds.toString();
    }

    /**
     * The TCP states of the process's open sockets ({@code ESTABLISHED} x 3, {@code CLOSE_WAIT}
     * x 12, ...), from {@code /proc/PID/net/tcp{,6}}: a socket in CLOSE_WAIT is one whose peer
     * closed and that the server has not noticed or not closed. For failure messages.
     */
    String socketStates() {
        java.util.Set<String> inodes = new java.util.HashSet<>();
        try (DirectoryStream<Path> d = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path p : d) {
                try {
                    String t = Files.readSymbolicLink(p).toString();
                    if (t.startsWith("socket:[")) {
                        inodes.add(t.substring(8, t.length() - 1));
                    }
                } catch (IOException gone) {
                    // closed meanwhile
                }
            }
        } catch (IOException e) {
            return "(cannot list: " + e + ")";
        }
        String[] names = {"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
            "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING"};
        java.util.Map<String, Integer> states = new java.util.TreeMap<>();
        for (String table : new String[] {"tcp", "tcp6"}) {
            for (String l : lines("net/" + table)) {
                String[] f = l.trim().split("\\s+");
                if (f.length > 9 && inodes.contains(f[9])) {
                    int st = Integer.parseInt(f[3], 16);
                    states.merge(st < names.length ? names[st] : f[3], 1, Integer::sum);
                }
            }
        }
        return states.toString();
    }

    /** CPU time used so far, user and system, all threads, in nanoseconds. */
    long cpuNanos() {
        return ticks(lines("stat")[0]) * NANOS_PER_TICK;
    }

    /**
     * CPU time of the threads that run event loops: the JVM's main thread and threads named
     * {@code *-loop-*} (Linux shows the first 15 characters of a thread's name in {@code comm};
     * the main thread, like the launcher's, is "java"). The JIT compiler and GC threads are left
     * out: their work right after start-up is not the server spinning.
     */
    long loopCpuNanos() {
        long ticks = 0;
        try (DirectoryStream<Path> d = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : d) {
                String comm;
                String stat;
                try {
                    comm = Files.readString(t.resolve("comm")).trim();
                    stat = Files.readString(t.resolve("stat"));
                } catch (IOException gone) {
                    continue; // the thread ended meanwhile
                }
                if (comm.equals("java") || comm.contains("-loop-")) {
                    ticks += ticks(stat);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ticks * NANOS_PER_TICK;
    }

    /** utime + stime of a {@code stat} line. */
    private static long ticks(String stat) {
        // The command name (field 2) is in parentheses and may hold spaces: count from after it.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15
    }

    private String[] lines(String file) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), file)).split("\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Polls {@code value} every 50 ms until {@code ok} holds or {@code millis} have passed; returns
     * the last value read (the caller asserts on it).
     */
    static long awaitValue(LongSupplier value, LongPredicate ok, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        long v = value.getAsLong();
        while (!ok.test(v) && System.nanoTime() - deadline < 0) {
            Thread.sleep(50);
            v = value.getAsLong();
        }
        return v;
    }
}
