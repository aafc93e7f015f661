package org.jevent.benchmarks.dtls;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jevent.benchmarks.echo.EchoServer;
import org.jevent.eventbase.EventBase;

/**
 * A server on one jevent {@link EventBase} with its own loop thread, as a libevent user runs one:
 * the subclass binds on the loop thread and says how many sessions it holds; the driver's
 * questions hop onto the loop ({@link EventBase#execute}) since DTLS objects answer there only.
 */
abstract class LoopServer implements EchoServer.Impl {
    private volatile EventBase base;
    private Thread thread;

    /** Binds on 127.0.0.1, port 0, on the loop thread; returns the port. */
    abstract int bind(EventBase base) throws Exception;

    /** Sessions held now; on the loop thread. */
    abstract int sessions();

    /** Closes everything; on the loop thread. */
    abstract void free();

    @Override
    public final int start() throws Exception {
        CompletableFuture<Integer> port = new CompletableFuture<>();
        thread = new Thread(() -> {
            try {
                EventBase b = new EventBase();
                base = b;
                port.complete(bind(b));
                b.loop(EventBase.EVLOOP_NO_EXIT_ON_EMPTY);
            } catch (Throwable t) {
                port.completeExceptionally(t);
            }
        }, "jevent-dtls-echo");
        thread.start();
        return port.get(30, TimeUnit.SECONDS);
    }

    @Override
    public final int connections() {
        CompletableFuture<Integer> n = new CompletableFuture<>();
        base.execute(() -> n.complete(sessions()));
        try {
            return n.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("the loop did not answer", e);
        }
    }

    @Override
    public final void stop() throws Exception {
        base.execute(this::free);
        base.loopExit(java.time.Duration.ofMillis(200));
        thread.join(5000);
    }
}
