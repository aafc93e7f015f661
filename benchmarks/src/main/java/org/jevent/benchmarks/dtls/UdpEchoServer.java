package org.jevent.benchmarks.dtls;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.jevent.dtls.UdpEndpoint;
import org.jevent.eventbase.EventBase;

/**
 * Plain UDP echo on the same loop and datagram layer as the DTLS server ({@link UdpEndpoint}),
 * without encryption: the limit a DTLS server on this loop can approach.
 */
final class UdpEchoServer extends LoopServer {
    private UdpEndpoint endpoint;

    @Override
    int bind(EventBase base) throws Exception {
        endpoint = UdpEndpoint.bind(base, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new UdpEndpoint.Options(), (ep, datagram, from) -> ep.send(datagram, from));
        return endpoint.localAddress().getPort();
    }

    /** No sessions: the echo keeps nothing per peer. */
    @Override
    int sessions() {
        return 0;
    }

    @Override
    void free() {
        endpoint.close();
    }
}
