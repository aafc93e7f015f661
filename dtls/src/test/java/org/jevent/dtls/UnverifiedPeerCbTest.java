package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import org.jevent.dtls.DtlsServer.UnverifiedPeer;
import org.junit.jupiter.api.Test;

/** {@link DtlsServer.UnverifiedPeerCb}: each datagram from a peer without a session, told with what the server did. */
class UnverifiedPeerCbTest extends LoopTest {

    private record Told(InetSocketAddress peer, UnverifiedPeer what) {
    }

    @Test
    void helloVerifyRequestsTheSessionLimitAndMalformedDatagramsAreTold() throws Exception {
        List<Told> told = new ArrayList<>();
        EchoServer server = echoServer(DtlsServer.builder(base, pskServer()).maxSessions(1)
                .unverifiedPeerCb((srv, peer, what) -> told.add(new Told(peer, what))));
        TestClient first = client(pskClient(IDENTITY), server.address());
        runUntil(() -> first.connected, 20_000, server::describe);
        InetSocketAddress firstSeen = server.accepted.get(0).getPeer();
        assertEquals(List.of(new Told(firstSeen, UnverifiedPeer.HELLO_VERIFY_REQUEST_SENT)), told,
                "the first hello, before its cookie");

        TestClient second = client(pskClient(IDENTITY), server.address());
        runUntil(() -> !told.subList(1, told.size()).isEmpty(), 20_000, "the second client is refused");
        Told refused = told.get(1);
        assertEquals(UnverifiedPeer.REFUSED_SESSION_LIMIT, refused.what());
        assertEquals(second.session.getLocalAddress().getPort(), refused.peer().getPort());
        assertEquals(told.size() - 1, server.server.getSessionsRefused(), "every refusal told");
        second.session.free();

        try (DatagramChannel raw = DatagramChannel.open()) {
            raw.bind(new InetSocketAddress(ANY_LOOPBACK.getAddress(), 0));
            first.session.free();
            server.accepted.get(0).free(); // room again: the raw datagram reaches the verifier
            int before = told.size();
            raw.send(ByteBuffer.wrap(new byte[] {22, (byte) 0xfe, (byte) 0xfd, 0, 0}), server.address());
            runUntil(() -> told.size() > before, 20_000, "the garbage is told");
            assertEquals(new Told((InetSocketAddress) raw.getLocalAddress(), UnverifiedPeer.DROPPED_MALFORMED),
                    told.get(told.size() - 1));
        }
    }

    @Test
    void helloVerifyRequestsOverTheBudgetAreTold() throws Exception {
        List<Told> told = new ArrayList<>();
        EchoServer server = echoServer(DtlsServer.builder(base, pskServer()).helloVerifyRate(1, 1)
                .unverifiedPeerCb((srv, peer, what) -> told.add(new Told(peer, what))));
        TestClient a = client(pskClient(IDENTITY), server.address());
        TestClient b = client(pskClient(IDENTITY), server.address());
        runUntil(() -> told.stream().anyMatch(t -> t.what() == UnverifiedPeer.DROPPED_RATE_LIMITED), 20_000,
                () -> "one of two hellos in the same second is over the budget: " + told);
        assertEquals(UnverifiedPeer.HELLO_VERIFY_REQUEST_SENT, told.get(0).what());
        assertTrue(server.server.getHellosRateLimited() >= 1);
        a.session.free();
        b.session.free();
    }
}
