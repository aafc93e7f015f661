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
     * closed and that the server has not noticed or not closed. Then, for its connected sockets,
     * the states of their other ends on this machine (the clients of a test share its network
     * namespace), {@code none} for an end that no longer exists: an ESTABLISHED server socket
     * whose client is in FIN_WAIT1 is one whose FIN has not reached the server's kernel yet, and
     * no server can see that close before it does. For failure messages.
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
        // Each entry: local address, remote address, state, inode (fields 1, 2, 3 and 9).
        java.util.List<String[]> entries = new java.util.ArrayList<>();
        for (String table : new String[] {"tcp", "tcp6"}) {
            for (String l : lines("net/" + table)) {
                String[] f = l.trim().split("\\s+");
                if (f.length > 9 && !f[0].equals("sl")) {
                    entries.add(new String[] {f[1], f[2], f[3], f[9]});
                }
            }
        }
        java.util.Map<String, String> stateByEnds = new java.util.HashMap<>();
        for (String[] e : entries) {
            stateByEnds.put(e[0] + " " + e[1], e[2]);
        }
        java.util.Map<String, Integer> states = new java.util.TreeMap<>();
        java.util.Map<String, Integer> peers = new java.util.TreeMap<>();
        for (String[] e : entries) {
            if (inodes.contains(e[3])) {
                states.merge(tcpState(e[2]), 1, Integer::sum);
                if (!e[2].equals("0A")) { // not LISTEN: a connection, whose other end may be here
                    String peer = stateByEnds.get(e[1] + " " + e[0]);
                    peers.merge(peer == null ? "none" : tcpState(peer), 1, Integer::sum);
                }
            }
        }
        return states + (peers.isEmpty() ? "" : ", their peers " + peers);
    }

    /** The name of a state as {@code /proc/net/tcp} gives it, in hexadecimal. */
    private static String tcpState(String hex) {
        String[] names = {"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
            "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING"};
        int st = Integer.parseInt(hex, 16);
        return st < names.length ? names[st] : hex;
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
