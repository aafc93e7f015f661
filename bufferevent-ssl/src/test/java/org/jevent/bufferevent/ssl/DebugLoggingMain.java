package org.jevent.bufferevent.ssl;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.SocketBufferevent;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;

/**
 * Run in a child JVM by {@link DebugLoggingTest} with SLF4J at TRACE for {@code org.jevent}: one
 * refused connect, then one TLS connection over loopback that exchanges a line, shuts down
 * securely and is freed. Prints nothing itself: the test reads the library's log lines.
 */
public final class DebugLoggingMain {
    private DebugLoggingMain() {
    }

    public static void main(String[] args) throws Exception {
        EventBase base = new EventBase();
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        // A refused connect: a port bound but not listening.
        try (SocketChannel bound = SocketChannel.open()) {
            bound.bind(new InetSocketAddress(loopback, 0));
            SocketBufferevent refused = Bufferevent.socket(base, null, 0);
            refused.setCallbacks(null, null, (b, what) -> b.free());
            refused.connect(bound.getLocalAddress());
            base.loopExit(Duration.ofSeconds(5));
            base.dispatch();
        }
        tlsEchoOnce(base);
        base.free();
    }

    /**
     * One TLS 1.3 connection (Conscrypt) over loopback on {@code base}: handshake, a line echoed,
     * secure shutdown, both ends freed; returns the bytes the client got back (6). Also run by
     * {@link JfrSwitchMain}.
     */
    static long tlsEchoOnce(EventBase base) throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            SslBufferevent client = SslBufferevent.socket(base, null,
                    TlsTestSupport.engine(SslProvider.CONSCRYPT, true, "TLSv1.3"), SslState.CONNECTING, 0);
            client.connect(listener.getLocalAddress());
            SocketChannel accepted = listener.accept();
            SslBufferevent server = SslBufferevent.socket(base, accepted,
                    TlsTestSupport.engine(SslProvider.CONSCRYPT, false, "TLSv1.3"), SslState.ACCEPTING,
                    Bufferevent.BEV_OPT_CLOSE_ON_FREE);
            server.setCallbacks(b -> b.writeBuffer(b.getInput()), null, (b, what) -> {
                if ((what & (Bufferevent.BEV_EVENT_EOF | Bufferevent.BEV_EVENT_ERROR)) != 0) {
                    b.free();
                }
            });
            server.enable(Bufferevent.EV_READ);
            long[] echoed = {0};
            client.setCallbacks(b -> {
                echoed[0] += b.getInput().getLength();
                b.getInput().drain(b.getInput().getLength());
                ((SslBufferevent) b).shutdown(Duration.ofSeconds(2));
            }, null, (b, what) -> {
                if ((what & Bufferevent.BEV_EVENT_CONNECTED) != 0) {
                    b.write("hello\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                } else {
                    b.free();
                    base.loopBreak();
                }
            });
            client.enable(Bufferevent.EV_READ);
            Event deadline = Event.timer(base, (ev, what) -> base.loopBreak());
            deadline.add(Duration.ofSeconds(20));
            base.dispatch();
            deadline.del();
            // The server frees itself on the client's close, which may come in the turn after the break.
            base.loop(EventBase.EVLOOP_NONBLOCK);
            return echoed[0];
        }
    }
}
