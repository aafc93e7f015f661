package org.jevent.benchmarks.echo;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.ssl.SslBufferevent;
import org.jevent.bufferevent.ssl.SslState;
import org.jevent.eventbase.EvConnListener;
import org.jevent.eventbase.EventBase;

/**
 * The echo server as a libevent user writes it: a listener, a bufferevent per connection (a TLS
 * socket bufferevent when {@code tls} is given), and a read callback that moves input to output.
 */
final class JeventEchoServer implements EchoServer.Impl {
    private final Supplier<SSLEngine> tls;
    private volatile EventBase base;
    private volatile int connections;
    private Thread thread;

    /** @param tls makes each connection's server engine, or null for plain TCP */
    JeventEchoServer(Supplier<SSLEngine> tls) {
        this.tls = tls;
    }

    @Override
    public int start() throws Exception {
        CompletableFuture<Integer> port = new CompletableFuture<>();
        thread = new Thread(() -> {
            try {
                EventBase b = new EventBase();
                base = b;
                EvConnListener listener = EvConnListener.newBind(b, (l, ch, peer) -> {
                    Bufferevent bev = tls == null
                            ? Bufferevent.socket(b, ch, Bufferevent.BEV_OPT_CLOSE_ON_FREE)
                            : SslBufferevent.socket(b, ch, tls.get(), SslState.ACCEPTING,
                                    Bufferevent.BEV_OPT_CLOSE_ON_FREE);
                    connections++;
                    bev.setCallbacks(e -> e.writeBuffer(e.getInput()), null, (e, what) -> {
                        if ((what & Bufferevent.BEV_EVENT_CONNECTED) == 0) {
                            connections--;
                            e.free();
                        }
                    });
                    bev.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
                }, EvConnListener.LEV_OPT_CLOSE_ON_FREE | EvConnListener.LEV_OPT_REUSEABLE, 1024,
                        new InetSocketAddress("127.0.0.1", 0));
                port.complete(((InetSocketAddress) listener.getLocalAddress()).getPort());
                b.loop(EventBase.EVLOOP_NO_EXIT_ON_EMPTY);
            } catch (Throwable t) {
                port.completeExceptionally(t);
            }
        }, "jevent-echo");
        thread.start();
        return port.get();
    }

    @Override
    public int connections() {
        return connections;
    }

    @Override
    public void stop() throws Exception {
        base.loopBreak();
        thread.join(5000);
    }
}
