package org.jevent.benchmarks.echo;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.eventbase.EvConnListener;
import org.jevent.eventbase.EventBase;

/**
 * Bytes one thread allocates per accepted idle connection set up as the {@code echo-server}
 * example sets it up (a socket bufferevent with echo callbacks and, unless {@code --no-timeouts},
 * 300 s read and write timeouts), to tell garbage per accept from live data: the live part is
 * what the idle run's class histogram shows. Client and server share the thread, so the client's
 * own connect is measured alone afterwards and printed to subtract.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar org.jevent.benchmarks.echo.AcceptAllocation [N] [--no-timeouts]</pre>
 */
public final class AcceptAllocation {
    private static final int CONNECTS_PER_TURN = 32;

    private AcceptAllocation() {
    }

    public static void main(String[] args) throws IOException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        boolean timeouts = !List.of(args).contains("--no-timeouts");
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        EventBase base = new EventBase();
        List<Bufferevent> accepted = new ArrayList<>();
        EvConnListener listener = EvConnListener.newBind(base, (l, ch, peer) -> {
            Bufferevent b = Bufferevent.socket(base, ch, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
            b.setCallbacks(x -> x.writeBuffer(x.getInput()), null, (x, what) -> x.free());
            if (timeouts) {
                b.setTimeouts(Duration.ofSeconds(300), Duration.ofSeconds(300));
            }
            b.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
            accepted.add(b);
        }, EvConnListener.LEV_OPT_CLOSE_ON_FREE | EvConnListener.LEV_OPT_REUSEABLE, 1024,
                new InetSocketAddress("127.0.0.1", 0));
        InetSocketAddress at = (InetSocketAddress) listener.getLocalAddress();
        List<SocketChannel> clients = new ArrayList<>();
        try {
            // Round 0 loads and compiles the path; round 1 is the figure.
            for (int round = 0; round < 2; round++) {
                int target = accepted.size() + n;
                long before = mx.getThreadAllocatedBytes(tid);
                while (accepted.size() < target) {
                    for (int k = 0; k < CONNECTS_PER_TURN && clients.size() < target; k++) {
                        clients.add(SocketChannel.open(at));
                    }
                    base.loop(EventBase.EVLOOP_NONBLOCK);
                }
                System.out.printf(Locale.ROOT, "round %d: %d connections, %.0f B allocated per connection (server and client)%n",
                        round, n, (mx.getThreadAllocatedBytes(tid) - before) / (double) n);
            }
            int alone = Math.min(n, 500);
            long before = mx.getThreadAllocatedBytes(tid);
            for (int i = 0; i < alone; i++) {
                clients.add(SocketChannel.open(at));
            }
            System.out.printf(Locale.ROOT, "the client's connect alone: %.0f B per connection%n",
                    (mx.getThreadAllocatedBytes(tid) - before) / (double) alone);
        } finally {
            for (SocketChannel c : clients) {
                c.close();
            }
            for (Bufferevent b : accepted) {
                b.free();
            }
            listener.free();
            base.free();
        }
    }
}
