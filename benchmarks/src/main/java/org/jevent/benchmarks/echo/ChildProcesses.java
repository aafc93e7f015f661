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
 * <p>The driver's thread finds its server gone under it while the hook runs; {@link #shuttingDown}
 * tells it that this is the shutdown, not a failure of the server, so that it ends with one line
 * instead of a stack trace. The thread named by {@link #drivenBy} is interrupted once the children
 * are down (a driver asleep in a timed window would not notice them go) and waited for, briefly,
 * so that its last line is printed before the JVM halts.
 *
 * <p>Invariant: {@link #LIVE} holds every process started here that was alive when the last one
 * was started (dead ones are dropped then, so a run making many short {@code jcmd} calls does not
 * grow it); the hook is installed once, with the first process; once {@link #shuttingDown} is
 * set (under {@link #LIVE}'s lock, as the hook begins) no process starts here, so none escapes
 * the hook.
 */
final class ChildProcesses {
    /** How long the hook waits, for all of them together, before it kills the ones left. */
    static final long GRACE_MILLIS = 5_000;

    /** How long the hook waits, after the children, for the driver's thread to end. */
    static final long DRIVER_GRACE_MILLIS = 2_000;

    private static final List<Process> LIVE = new ArrayList<>();
    private static boolean hookInstalled;
    private static volatile boolean shuttingDown;
    private static volatile Thread driver;

    private ChildProcesses() {
    }

    /**
     * True once the JVM has begun to shut down (SIGTERM, Ctrl-C, or the end of the run) and the
     * hook is stopping the children: a workload that fails now failed because its server was
     * stopped.
     */
    static boolean shuttingDown() {
        return shuttingDown;
    }

    /**
     * Names {@code thread} (the load run's main thread) as the one the hook interrupts and waits
     * for, up to {@link #DRIVER_GRACE_MILLIS}, once the children are down.
     */
    static void drivenBy(Thread thread) {
        driver = thread;
    }

    /**
     * Starts {@code builder}'s process and has it destroyed if this JVM is stopped before it ends;
     * an IOException once the JVM is shutting down.
     */
    static Process start(ProcessBuilder builder) throws IOException {
        synchronized (LIVE) {
            if (shuttingDown) {
                throw new IOException("shutting down: not starting " + builder.command().get(0));
            }
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
     * The hook: marks the shutdown, stops the children ({@link #stopChildren}), then interrupts
     * the driver's thread and gives it {@link #DRIVER_GRACE_MILLIS} to end.
     */
    private static void destroyAll() {
        List<ProcessHandle> targets = new ArrayList<>();
        synchronized (LIVE) {
            shuttingDown = true;
            for (Process p : LIVE) {
                if (p.isAlive()) {
                    p.descendants().forEach(targets::add); // a build script's compiler, say
                    targets.add(p.toHandle());
                }
            }
        }
        if (targets.isEmpty()) {
            return; // the run's end, or a driver between servers: it starts no more (start refuses)
        }
        stopChildren(targets);
        Thread d = driver;
        if (d != null && d.isAlive()) {
            d.interrupt();
            try {
                d.join(DRIVER_GRACE_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Asks every one of {@code targets} to stop ({@code SIGTERM}), waits up to
     * {@link #GRACE_MILLIS} in all, then kills ({@code SIGKILL}) what is left.
     */
    private static void stopChildren(List<ProcessHandle> targets) {
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
