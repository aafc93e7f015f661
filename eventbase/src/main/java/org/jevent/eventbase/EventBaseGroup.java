package org.jevent.eventbase;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * N event bases, each run by its own thread: one loop per core, the way the design scales
 * ("several bases, one per thread, never one base shared"). libevent has no such type, a C
 * program starts its threads by hand; Netty users know it as {@code EventLoopGroup}. Named after
 * what it groups, as Netty names its group after {@code EventLoop}, so both find it.
 *
 * <p>Work goes onto a loop with {@link #next()} (round robin) or {@link #get(int)}, then that
 * base's {@link EventBase#execute}; {@link #execute(Runnable)} does both. Events, bufferevents and
 * listeners of one loop are made on that loop's thread, as for any base. {@link #listen} spreads
 * incoming connections over the loops: with SO_REUSEPORT where the OS has it (one
 * {@link EvConnListener} per loop on the same port, the kernel picks the loop, nothing is handed
 * between threads), else one listener whose accepted channels are handed to the loops round robin.
 *
 * <p>{@link #shutdown(Duration)} stops accepting, lets every loop run until it has nothing pending
 * (its connections closed) or the grace period is over, then closes every channel still registered
 * on it, frees the base and joins the thread. A throwable from a callback goes to the base's
 * {@link ExceptionHook} (set one for all loops with {@link EventConfig#exceptionHook}); so does
 * one that ends a loop abnormally, with the loop thread as what was running, and the loop is
 * entered again.
 *
 * <p>Invariant: {@code bases[i]} is owned by {@code threads[i]} from the end of the constructor
 * until that thread frees it at shutdown; {@code state} only moves RUNNING, SHUTTING_DOWN,
 * TERMINATED. Every method may be called from any thread, except that {@code listen} and
 * {@code shutdown} wait for the loops and so refuse to run on one of them.
 */
public final class EventBaseGroup implements Executor, AutoCloseable {
    /** What {@link #close()} gives the loops to finish before their channels are closed. */
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(2);

    /** How {@link #listen} spreads connections over the loops. */
    public enum AcceptSpread {
        /** SO_REUSEPORT when the OS has it and the address is TCP, else HAND_OVER. */
        AUTO,
        /** One listener per loop on the same port (SO_REUSEPORT); the kernel spreads connections. */
        REUSE_PORT,
        /** One listener; each accepted channel is handed to the next loop through its execute. */
        HAND_OVER
    }

    /** Called on the loop that owns the new connection, with that loop's base. */
    @FunctionalInterface
    public interface AcceptCallback {
        /**
         * Takes one accepted connection, on the loop thread of {@code base}.
         *
         * @param base the loop that owns the connection from now on: make its events and
         *     bufferevents on this base
         * @param channel the new connection, non-blocking unless
         *     {@code LEV_OPT_LEAVE_SOCKETS_BLOCKING}; the callback owns it and must close it
         * @param peer the remote address
         */
        void onAccept(EventBase base, SocketChannel channel, SocketAddress peer);
    }

    private static final int RUNNING = 0;
    private static final int SHUTTING_DOWN = 1;
    private static final int TERMINATED = 2;
    private static final AtomicInteger GROUPS = new AtomicInteger();
    /** After the grace period: how long a loop gets to leave a callback before its thread is interrupted. */
    private static final long FORCE_WAIT_MILLIS = 5_000;

    private final EventBase[] bases;
    private final Thread[] threads;
    private final AtomicInteger nextIndex = new AtomicInteger();
    private final List<GroupListener> listeners = new CopyOnWriteArrayList<>();
    private volatile int state = RUNNING;
    private volatile boolean forced;

    /** One loop per available processor, default configuration. */
    public EventBaseGroup() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /**
     * {@code loops} loops, default configuration; returns once every loop runs.
     *
     * @param loops the number of bases and threads, at least 1
     * @throws IllegalArgumentException if {@code loops} is less than 1
     */
    public EventBaseGroup(int loops) {
        this(loops, new EventConfig());
    }

    /**
     * {@code loops} loops, each base made with {@code config}, on non-daemon threads named
     * {@code jevent-loop-G-i}; returns once every loop runs.
     *
     * @param loops the number of bases and threads, at least 1
     * @param config the configuration of every base
     * @throws IllegalArgumentException if {@code loops} is less than 1
     */
    public EventBaseGroup(int loops, EventConfig config) {
        this(loops, config, defaultThreads());
    }

    /**
     * {@code loops} loops, each base made with {@code config}, each run by a thread from
     * {@code threadFactory} (non-daemon by default, as a server's loops should keep the JVM up).
     * Returns once every loop runs.
     *
     * @param loops the number of bases and threads, at least 1
     * @param config the configuration of every base
     * @param threadFactory makes the {@code loops} threads; each runs one base's loop until
     *     shutdown
     * @throws IllegalArgumentException if {@code loops} is less than 1
     */
    public EventBaseGroup(int loops, EventConfig config, ThreadFactory threadFactory) {
        if (loops < 1) {
            throw new IllegalArgumentException("a group needs at least one loop: " + loops);
        }
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(threadFactory, "threadFactory");
        bases = new EventBase[loops];
        threads = new Thread[loops];
        CountDownLatch started = new CountDownLatch(loops);
        try {
            for (int i = 0; i < loops; i++) {
                bases[i] = new EventBase(config);
                bases[i].execute(started::countDown);
                int index = i;
                threads[i] = threadFactory.newThread(() -> runLoop(index));
            }
        } catch (RuntimeException | Error e) {
            for (EventBase b : bases) {
                if (b != null) {
                    b.free();
                }
            }
            throw e;
        }
        for (Thread t : threads) {
            t.start();
        }
        awaitUninterruptibly(started);
    }

    private static ThreadFactory defaultThreads() {
        int group = GROUPS.incrementAndGet();
        AtomicInteger n = new AtomicInteger();
        return r -> new Thread(r, "jevent-loop-" + group + "-" + n.getAndIncrement());
    }

    /** {@return the number of loops} */
    public int size() {
        return bases.length;
    }

    /** {@return the loop after the one {@code next} gave last, round robin} Any thread. */
    public EventBase next() {
        return bases[Math.floorMod(nextIndex.getAndIncrement(), bases.length)];
    }

    /**
     * Loop {@code i}. Any thread.
     *
     * @param i the loop's index, 0 &le; i &lt; {@link #size()}
     * @return the base of that loop
     * @throws ArrayIndexOutOfBoundsException if {@code i} is out of range
     */
    public EventBase get(int i) {
        return bases[i];
    }

    /**
     * Runs {@code task} on the {@link #next()} loop, through its {@link EventBase#execute}.
     *
     * @param task run once on that loop's thread
     * @throws IllegalStateException if that loop's base was already freed by shutdown
     */
    @Override
    public void execute(Runnable task) {
        next().execute(task);
    }

    /** {@return true once {@link #shutdown} began} */
    public boolean isShutdown() {
        return state != RUNNING;
    }

    /**
     * Listens on {@code address} and spreads the connections over the loops ({@link AcceptSpread#AUTO}).
     * {@code flags} are {@link EvConnListener}'s LEV_OPT_* (CLOSE_ON_FREE and THREADSAFE are implied,
     * DISABLED is refused); {@code backlog} as {@link EvConnListener#newBind}. With port 0 the port
     * picked for the first loop is the port of all. Not from one of this group's loops (it waits
     * for them).
     *
     * @param cb called on the loop that owns each new connection
     * @param flags {@link EvConnListener}'s {@code LEV_OPT_*} flags, or-ed
     * @param backlog the listen queue length per listener; negative for 128, 0 refused
     * @param address where to bind; port 0 picks a free port
     * @return the listener; {@link GroupListener#free()} stops it, and shutdown frees it
     * @throws IOException if a socket cannot be opened or bound; nothing stays open then
     * @throws IllegalArgumentException if {@code flags} has {@code LEV_OPT_DISABLED} or an
     *     unknown bit, or {@code backlog} is 0
     * @throws IllegalStateException if the group is shut down, or called on one of its loops
     */
    public GroupListener listen(AcceptCallback cb, int flags, int backlog, SocketAddress address) throws IOException {
        return listen(cb, flags, backlog, address, AcceptSpread.AUTO);
    }

    /**
     * {@link #listen(AcceptCallback, int, int, SocketAddress)} with a chosen spread; REUSE_PORT
     * where the OS lacks SO_REUSEPORT throws {@link UnsupportedOperationException}.
     *
     * @param cb called on the loop that owns each new connection
     * @param flags {@link EvConnListener}'s {@code LEV_OPT_*} flags, or-ed
     * @param backlog the listen queue length per listener; negative for 128, 0 refused
     * @param address where to bind; port 0 picks a free port
     * @param spread how connections reach the loops
     * @return the listener; {@link GroupListener#free()} stops it, and shutdown frees it
     * @throws IOException if a socket cannot be opened or bound; nothing stays open then
     * @throws IllegalArgumentException if {@code flags} has {@code LEV_OPT_DISABLED} or an
     *     unknown bit, or {@code backlog} is 0
     * @throws IllegalStateException if the group is shut down, or called on one of its loops
     * @throws UnsupportedOperationException for {@link AcceptSpread#REUSE_PORT} where the OS
     *     lacks SO_REUSEPORT
     */
    public GroupListener listen(AcceptCallback cb, int flags, int backlog, SocketAddress address, AcceptSpread spread)
            throws IOException {
        Objects.requireNonNull(cb, "cb");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(spread, "spread");
        checkNotOnLoop("listen");
        if ((flags & EvConnListener.LEV_OPT_DISABLED) != 0) {
            throw new IllegalArgumentException("a group listener starts enabled; LEV_OPT_DISABLED is not supported");
        }
        if (isShutdown()) {
            throw new IllegalStateException("the group is shut down");
        }
        GroupListener listener = GroupListener.open(this, cb, flags, backlog, address, spread);
        listeners.add(listener);
        if (isShutdown()) {
            listener.free(); // shutdown began meanwhile and may have missed it
        }
        return listener;
    }

    void forget(GroupListener listener) {
        listeners.remove(listener);
    }

    /** The loop thread's whole life: serve, then drain, then close. */
    private void runLoop(int index) {
        EventBase base = bases[index];
        while (state == RUNNING) {
            try {
                int result = base.loop(EventBase.EVLOOP_NO_EXIT_ON_EMPTY);
                if (state == RUNNING) {
                    unexpectedEnd(base, new IllegalStateException("the loop returned " + result + " while the group runs"));
                }
            } catch (Throwable t) {
                unexpectedEnd(base, t);
            }
        }
        if (!forced) {
            try {
                base.loop(0); // until nothing is pending, or the force break
            } catch (Throwable t) {
                report(base, t);
            }
        }
        try {
            base.closeChannels();
        } finally {
            base.free();
        }
    }

    /** The loop left while it should serve (interrupt, select failure, a bug): report, breathe, go on. */
    private void unexpectedEnd(EventBase base, Throwable t) {
        report(base, t);
        if (state == RUNNING) {
            Thread.interrupted(); // an interrupt would end the next loop at once
            try {
                Thread.sleep(10); // no hot spin if select keeps failing
            } catch (InterruptedException e) {
                // the loop goes on; shutdown does not interrupt while the group runs
            }
        }
    }

    private static void report(EventBase base, Throwable t) {
        base.reportException(Thread.currentThread(), t);
    }

    /**
     * Stops accepting, lets each loop run until it has nothing pending or {@code grace} has
     * passed, then closes every channel still registered on each loop, frees the bases and joins
     * the threads. A loop stuck in a callback gets a further 5 s, then its thread is interrupted.
     * Returns true when every loop finished on its own within {@code grace}. Idempotent (a second
     * call waits for the first); an interrupt of the caller cuts the grace short and stays set.
     * Not from one of this group's loops.
     *
     * @param grace how long the loops get to finish their work before channels are closed
     * @return true if every loop finished on its own within {@code grace}
     * @throws IllegalStateException if called on one of this group's loops
     */
    public boolean shutdown(Duration grace) {
        Objects.requireNonNull(grace, "grace");
        checkNotOnLoop("shutdown");
        synchronized (this) {
            if (state == RUNNING) {
                state = SHUTTING_DOWN;
                for (GroupListener l : listeners) {
                    l.free();
                }
                for (EventBase b : bases) {
                    breakLoop(b);
                }
            }
        }
        boolean[] interrupted = {Thread.interrupted()};
        boolean clean = !interrupted[0] && join(System.nanoTime() + grace.toNanos(), interrupted, true);
        if (!clean) {
            forced = true;
            for (EventBase b : bases) {
                breakLoop(b);
            }
            long forceWait = TimeUnit.MILLISECONDS.toNanos(FORCE_WAIT_MILLIS);
            if (!join(System.nanoTime() + forceWait, interrupted, false)) {
                for (Thread t : threads) {
                    t.interrupt(); // a callback stuck in a blocking call
                }
                join(System.nanoTime() + forceWait, interrupted, false);
            }
        }
        synchronized (this) {
            if (allEnded()) {
                state = TERMINATED;
            }
        }
        if (interrupted[0]) {
            Thread.currentThread().interrupt();
        }
        return clean;
    }

    /** {@link #shutdown(Duration)} with {@link #DEFAULT_SHUTDOWN_GRACE}. */
    @Override
    public void close() {
        shutdown(DEFAULT_SHUTDOWN_GRACE);
    }

    /** {@return true when every loop thread has ended after a shutdown} */
    public boolean isTerminated() {
        return state == TERMINATED;
    }

    /** A break that lands whether the loop is in a turn, between loops, or about to enter one. */
    private static void breakLoop(EventBase b) {
        try {
            b.execute(b::loopBreak);
        } catch (IllegalStateException freed) {
            // that loop already finished and freed its base
        }
    }

    /**
     * Joins every thread until {@code deadline} (nanoTime); true when all ended. An interrupt is
     * noted in {@code interrupted[0]} and, when {@code stopOnInterrupt}, ends the wait.
     */
    private boolean join(long deadline, boolean[] interrupted, boolean stopOnInterrupt) {
        for (Thread t : threads) {
            while (t.isAlive()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedJoin(t, left);
                } catch (InterruptedException e) {
                    interrupted[0] = true;
                    if (stopOnInterrupt) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    private boolean allEnded() {
        for (Thread t : threads) {
            if (t.isAlive()) {
                return false;
            }
        }
        return true;
    }

    private void checkNotOnLoop(String what) {
        Thread me = Thread.currentThread();
        for (Thread t : threads) {
            if (t == me) {
                throw new IllegalStateException(what + " waits for the group's loops and cannot run on one of them ("
                        + me.getName() + ")");
            }
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "EventBaseGroup[" + bases.length + " loops" + (state == RUNNING ? "]" : ", shut down]");
    }
}
