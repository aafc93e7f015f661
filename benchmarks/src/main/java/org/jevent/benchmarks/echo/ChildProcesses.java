package org.jevent.benchmarks.echo;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Every process a load run starts goes through {@link #start}, so that a driver killed before it
 * closes them (Ctrl-C, {@code kill -TERM}) takes them with it: a JVM shutdown hook destroys each
 * one still alive, and whatever it started, then forcibly after {@link #GRACE_MILLIS}. Without it
 * an external echo server (the {@code echo-server} example, the libevent C server) or an
 * {@code openssl s_time} client kept running, listening or connecting, after its driver was gone.
 * A {@code kill -KILL} runs no hook: the benchmark's own servers still exit at the end of their
 * standard input ({@link EchoServer#serve}), the others do not.
 *
 * <p>Invariant: {@link #LIVE} holds every process started here that was alive when the last one
 * was started (dead ones are dropped then, so a run making many short {@code jcmd} calls does not
 * grow it); the hook is installed once, with the first process.
 */
final class ChildProcesses {
    /** How long the hook waits, for all of them together, before it kills the ones left. */
    static final long GRACE_MILLIS = 5_000;

    private static final List<Process> LIVE = new ArrayList<>();
    private static boolean hookInstalled;

    private ChildProcesses() {
    }

    /** Starts {@code builder}'s process and has it destroyed if this JVM is stopped before it ends. */
    static Process start(ProcessBuilder builder) throws IOException {
        synchronized (LIVE) {
            if (!hookInstalled) {
                Runtime.getRuntime().addShutdownHook(new Thread(ChildProcesses::destroyAll, "child-process-reaper"));
                hookInstalled = true;
            }
            Process p = builder.start();
            LIVE.removeIf(old -> !old.isAlive());
            LIVE.add(p);
            return p;
        }
    }

    /**
     * The hook: asks every live child and its descendants to stop ({@code SIGTERM}), waits up to
     * {@link #GRACE_MILLIS} in all, then kills ({@code SIGKILL}) what is left.
     */
    private static void destroyAll() {
        List<ProcessHandle> targets = new ArrayList<>();
        synchronized (LIVE) {
            for (Process p : LIVE) {
                if (p.isAlive()) {
                    p.descendants().forEach(targets::add); // a build script's compiler, say
                    targets.add(p.toHandle());
                }
            }
        }
        if (targets.isEmpty()) {
            return;
        }
        System.err.printf("# stopping %d child process(es) of the load run%n", targets.size());
        for (ProcessHandle h : targets) {
            h.destroy();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GRACE_MILLIS);
        for (ProcessHandle h : targets) {
            long left = deadline - System.nanoTime();
            try {
                if (left > 0) {
                    h.onExit().get(left, TimeUnit.NANOSECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // still alive: killed below
            }
        }
        for (ProcessHandle h : targets) {
            if (h.isAlive()) {
                h.destroyForcibly();
            }
        }
    }
}
