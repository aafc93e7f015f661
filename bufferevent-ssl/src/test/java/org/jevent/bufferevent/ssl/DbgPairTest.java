package org.jevent.bufferevent.ssl;

import org.jevent.bufferevent.Bufferevent;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.Test;

class DbgPairTest {
    @Test
    void t() throws Exception {
        EventBase base = new EventBase();
        SslBufferevent[] b = TlsHarness.link(base, TlsHarness.Variant.FILTER_PAIR, TlsTestSupport.Impl.CONSCRYPT, "TLSv1.3", 0);
        System.out.println("after link: " + b[0] + " " + b[1] + " errs " + b[0].getSslErrors() + b[1].getSslErrors());
        b[1].setCallbacks(x -> System.out.println("server read " + x.getInput().getLength()), null, (x, w) -> System.out.println("S event " + TlsHarness.ev(w)));
        b[1].enable(Bufferevent.EV_READ);
        System.out.println("after enable: " + b[0] + " " + b[1]);
        b[0].write(new byte[100000]);
        System.out.println("after write: " + b[0] + " " + b[1]);
        for (int i = 0; i < 2; i++) {
            int me = i;
            b[i].setCallbacks(null, null, (x, w) -> System.out.println(me + " event " + TlsHarness.ev(w)));
            b[i].enable(Bufferevent.EV_READ);
        }
        TlsHarness.runFor(base, java.time.Duration.ofMillis(300));
        System.out.println("after run: " + b[0] + " " + b[1] + " errs " + b[0].getSslErrors() + b[1].getSslErrors()
            + " u0 in/out " + b[0].getUnderlying().getInput().getLength() + "/" + b[0].getUnderlying().getOutput().getLength()
            + " u1 in/out " + b[1].getUnderlying().getInput().getLength() + "/" + b[1].getUnderlying().getOutput().getLength()
            + " hs " + b[0].getEngine().getHandshakeStatus() + " " + b[1].getEngine().getHandshakeStatus());
        base.free();
    }
}
