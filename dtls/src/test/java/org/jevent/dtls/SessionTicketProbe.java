package org.jevent.dtls;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.ssl.SelfSignedCertificate;
import org.jevent.bufferevent.ssl.SslContexts;
import org.jevent.eventbase.EventBase;

/**
 * Run in a child JVM by {@link SessionTicketPropertyTest}: two certificate handshakes between a
 * JDK DTLS server and client on loopback, counting the NewSessionTicket messages the server
 * sends in the first (its tap sees them: in DTLS 1.2 the ticket comes before the
 * ChangeCipherSpec, in the clear), and whether the second was abbreviated (a resumption: the
 * server sent no Certificate, as it did in the first; the JDK client resumes by the server's host
 * and port). Prints
 * {@code connected=true newSessionTickets=N resumed=B}. With the argument {@code setProperty} it sets
 * {@code jdk.tls.server.enableSessionTicketExtension=false} by {@link System#setProperty} first,
 * before any TLS class is used.
 */
final class SessionTicketProbe {
    /** The handshake message type of a NewSessionTicket (RFC 5077 §3.3). */
    private static final int NEW_SESSION_TICKET = 4;
    private static final int CERTIFICATE = 11;

    private SessionTicketProbe() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("setProperty")) {
            System.setProperty("jdk.tls.server.enableSessionTicketExtension", "false");
        }
        SelfSignedCertificate cert = SelfSignedCertificate.generate();
        int mtu = SslContexts.DEFAULT_DTLS_MAX_PACKET_SIZE;
        EventBase base = new EventBase();
        int[] tickets = {0};
        int[] certificates = {0};
        boolean[] connected = {false};
        DtlsServer server = DtlsServer.builder(base, JdkDtls.server(SslContexts.forServer(cert).dtls(mtu).build()))
                .datagramTap((s, d, direction) -> {
                    if (direction == Bufferevent.BEV_EVENT_WRITING) {
                        tickets[0] += count(d, NEW_SESSION_TICKET);
                        certificates[0] += count(d, CERTIFICATE);
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), (srv, s) -> { });
        JdkDtls clients = JdkDtls.client(SslContexts.forClient().trustCertificates(cert.certificate()).dtls(mtu).build());
        boolean bothConnected = true;
        int ticketsOfFirst = 0;
        for (int round = 0; round < 2; round++) {
            connected[0] = false;
            certificates[0] = 0;
            DtlsSession client = DtlsClient.builder(base, clients).connect(server.getLocalAddress(), (s, m) -> { },
                    (s, what) -> connected[0] = what == Bufferevent.BEV_EVENT_CONNECTED);
            for (int turn = 0; turn < 100_000 && !connected[0] && !client.isFinished(); turn++) {
                base.loop(EventBase.EVLOOP_ONCE);
            }
            bothConnected &= connected[0];
            client.shutdown();
            if (round == 0) {
                ticketsOfFirst = tickets[0];
                bothConnected &= certificates[0] > 0; // the first is a full handshake, or the count is wrong
            }
        }
        boolean resumed = certificates[0] == 0;
        server.free();
        base.free();
        System.out.println("connected=" + bothConnected + " newSessionTickets=" + ticketsOfFirst + " resumed=" + resumed);
    }

    private static int count(ByteBuffer d, int handshakeType) {
        int n = 0;
        for (int p = d.position(), next; p < d.limit(); p = next) {
            next = DtlsRecords.next(d, p, d.limit());
            if (next < 0) {
                break;
            }
            if (DtlsRecords.type(d, p) == DtlsRecords.HANDSHAKE && DtlsRecords.epoch(d, p) == 0
                    && (d.get(p + DtlsRecords.HEADER) & 0xFF) == handshakeType) {
                n++;
            }
        }
        return n;
    }
}
