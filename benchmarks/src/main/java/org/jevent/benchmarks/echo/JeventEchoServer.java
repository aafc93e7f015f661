package org.jevent.benchmarks.echo;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.SocketBufferevent;
import org.jevent.eventbase.EvConnListener;
import org.jevent.eventbase.EventBase;

/** The echo server as a libevent user writes it: a listener, and a read callback that moves input to output. */
final class JeventEchoServer implements EchoServer.Impl {
    private volatile EventBase base;
    private volatile int connections;
    private Thread thread;

    @Override
    public int start() throws Exception {
        CompletableFuture<Integer> port = new CompletableFuture<>();
        thread = new Thread(() -> {
            try {
                EventBase b = new EventBase();
                base = b;
                EvConnListener listener = EvConnListener.newBind(b, (l, ch, peer) -> {
                    SocketBufferevent bev = Bufferevent.socket(b, ch, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
                    connections++;
                    bev.setCallbacks(e -> e.writeBuffer(e.getInput()), null, (e, what) -> {
                        connections--;
                        e.free();
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
