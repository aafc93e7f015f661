package org.jevent.bufferevent.ssl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.eventbase.EvConnListener;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A server that frees its TLS bufferevent as soon as the peer's close_notify is reported (the
 * usual EOF handling) still answers with its own close_notify, so a client waiting in a bounded
 * shutdown sees a clean EOF, not a truncation.
 */
@Timeout(30)
class SslCloseNotifyAnswerTest {
    @ParameterizedTest
    @EnumSource(SslProvider.class)
    void freeingOnThePeersCloseNotifyStillAnswersIt(SslProvider provider) throws Exception {
        SelfSignedCertificate cert = SelfSignedCertificate.generate();
        SslContexts server = SslContexts.forServer(cert).provider(provider).build();
        SslContexts client = SslContexts.forClient().trustCertificates(cert.certificate()).provider(provider).build();
        EventBase base = new EventBase();
        try {
            List<Integer> serverEvents = new ArrayList<>();
            List<Integer> clientEvents = new ArrayList<>();
            EvConnListener listener = EvConnListener.newBind(base, (l, ch, peer) -> {
                SslBufferevent s = SslBufferevent.socket(base, ch, server.newServerEngine(), SslState.ACCEPTING,
                        Bufferevent.BEV_OPT_CLOSE_ON_FREE);
                s.setCallbacks(b -> b.writeBuffer(b.getInput()), null, (b, what) -> {
                    if (what != Bufferevent.BEV_EVENT_CONNECTED) {
                        serverEvents.add(what);
                        b.free(); // at once, inside the EOF callback
                    }
                });
                s.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
            }, EvConnListener.LEV_OPT_CLOSE_ON_FREE | EvConnListener.LEV_OPT_REUSEABLE, -1,
                    new InetSocketAddress("127.0.0.1", 0));
            InetSocketAddress addr = (InetSocketAddress) listener.getLocalAddress();
            SslBufferevent c = SslBufferevent.socket(base, null, client.newClientEngine("localhost", addr.getPort()),
                    SslState.CONNECTING, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
            c.setCallbacks(b -> {
                b.getInput().drain(b.getInput().getLength());
                ((SslBufferevent) b).shutdown(Duration.ofSeconds(5));
            }, null, (b, what) -> {
                if (what != Bufferevent.BEV_EVENT_CONNECTED) {
                    clientEvents.add(what);
                    b.free();
                    listener.free();
                }
            });
            c.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
            c.connect(addr);
            c.write("ping".getBytes());
            Event watchdog = Event.timer(base, (ev, what) -> base.loopBreak());
            watchdog.add(Duration.ofSeconds(20));
            Event done = new Event(base, null, Event.EV_PERSIST, (ev, what) -> {
                if (!clientEvents.isEmpty() && !serverEvents.isEmpty()) {
                    base.loopBreak();
                }
            });
            done.add(Duration.ofMillis(5));
            base.dispatch();
            assertEquals(List.of(Bufferevent.BEV_EVENT_READING | Bufferevent.BEV_EVENT_EOF), serverEvents,
                    "the server saw the client's close_notify");
            assertEquals(List.of(Bufferevent.BEV_EVENT_EOF), clientEvents,
                    "the client's bounded shutdown ended cleanly: the server's answer arrived");
        } finally {
            base.free();
        }
    }
}
