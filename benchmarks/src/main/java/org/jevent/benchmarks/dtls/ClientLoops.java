package org.jevent.benchmarks.dtls;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jevent.eventbase.EventBase;

/**
 * The load client's event loops: {@code n} threads, each running its own {@link EventBase}, on
 * which the client's sessions live (a DTLS session answers on its loop thread only). The driver
 * hands work over with {@link #run} and {@link #call}.
 */
final class ClientLoops implements AutoCloseable {
    private final EventBase[] bases;
    private final Thread[] threads;

    ClientLoops(int n) throws InterruptedException {
        bases = new EventBase[n];
        threads = new Thread[n];
        CountDownLatch ready = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            int index = i;
            threads[i] = new Thread(() -> {
                EventBase b = new EventBase();
                bases[index] = b;
                ready.countDown();
                b.loop(EventBase.EVLOOP_NO_EXIT_ON_EMPTY);
            }, "dtls-load-client-" + i);
            threads[i].setDaemon(true);
            threads[i].start();
        }
        if (!ready.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("client loops did not start");
        }
    }

    int size() {
        return bases.length;
    }

    EventBase base(int i) {
        return bases[i];
    }

    /** Runs {@code task} on loop {@code i}, later. */
    void run(int i, Runnable task) {
        bases[i].execute(task);
    }

    /** Runs {@code task} on loop {@code i} and waits (60 s at most) for its result. */
    <T> T call(int i, Callable<T> task) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        bases[i].execute(() -> {
            try {
                result.complete(task.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result.get(60, TimeUnit.SECONDS);
    }

    /** Runs {@code task} on every loop and waits for all. */
    void onEach(java.util.function.IntConsumer task) throws Exception {
        for (int i = 0; i < bases.length; i++) {
            int index = i;
            call(i, () -> {
                task.accept(index);
                return null;
            });
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (EventBase b : bases) {
            b.loopBreak();
        }
        for (Thread t : threads) {
            t.join(5000);
        }
    }
}
