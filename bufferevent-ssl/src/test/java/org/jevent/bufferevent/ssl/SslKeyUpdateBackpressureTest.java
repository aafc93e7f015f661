package org.jevent.bufferevent.ssl;

import static org.jevent.bufferevent.Bufferevent.EV_READ;
import static org.jevent.bufferevent.Bufferevent.EV_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.PairBufferevent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Handshake records the peer makes us write respect the transport's write bound, like data: a
 * TLS 1.3 peer that sends key update requests (each asks for our answer) and never reads. The
 * peer is a bare JDK client engine driven by this test over the other half of a pair, so that it
 * can stop reading while it keeps sending; our server is a TLS filter over the first half, with a
 * write high watermark of 8 KiB on it (the bound the pump keeps when the transport has one; else
 * {@link SslBufferevent#TRANSPORT_WRITE_BOUND}) and a key update limit that the 2,000 requests stay
 * under (this test is about memory, not the count). Without the bound every answer (43 bytes)
 * piled up in the transport's output, 2,000 of them 84 KiB; with it the output stays within the
 * watermark, the allowance handshake records have beyond it ({@link TlsPump#HANDSHAKE_ALLOWANCE}, 34 KiB)
 * and one record; the server stops reading, and everything is answered once the peer reads
 * again.
 */
@Timeout(120)
class SslKeyUpdateBackpressureTest extends SslLoopTestBase {
    private static final int ROUNDS = 20;
    private static final long WRITE_HIGH = 8 << 10;
    private static final int PER_ROUND = 100;

    private final List<String> serverEvents = new ArrayList<>();
    private SSLEngine client;
    private PairBufferevent raw;
    /** What the server sent that the client has not unwrapped yet. */
    private ByteBuffer fromServer = ByteBuffer.allocate(1 << 16);
    private final ByteBuffer clientOut = ByteBuffer.allocate(1 << 15);
    private final ByteBuffer clientPlain = ByteBuffer.allocate(1 << 15);
    private final StringBuilder clientGot = new StringBuilder();

    @Test
    void keyUpdateAnswersWaitForAPeerThatDoesNotRead() throws Exception {
        PairBufferevent[] p = Bufferevent.pair(base, 0);
        raw = p[1];
        closeLater(raw::free);
        SslBufferevent server = SslBufferevent.filter(base, p[0], TlsTestSupport.engine(SslProvider.JDK, false,
                "TLSv1.3"), SslState.ACCEPTING, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
        closeLater(server::free);
        p[0].setWatermark(EV_WRITE, 0, WRITE_HIGH);
        server.setKeyUpdateLimit(SslBufferevent.MAX_PEER_HANDSHAKE_LIMIT, Duration.ofNanos(1));
        server.setCallbacks(b -> b.getInput().drain(b.getInput().getLength()), null,
                (b, what) -> serverEvents.add(TlsHarness.ev(what)));
        server.enable(EV_READ | EV_WRITE);
        raw.enable(EV_READ | EV_WRITE);

        client = TlsTestSupport.engine(SslProvider.JDK, true, "TLSv1.3");
        client.beginHandshake();
        TlsHarness.runUntil(base, () -> {
            clientStep();
            return !serverEvents.isEmpty() && client.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING;
        }, Duration.ofSeconds(20));
        assertEquals(List.of("CONNECTED"), serverEvents);
        TlsHarness.runFor(base, Duration.ofMillis(50)); // the server's tickets reach the client
        clientStep();

        // The client stops reading and floods.
        raw.disable(EV_READ);
        long mostOutput = 0;
        long mostInput = 0;
        for (int round = 0; round < ROUNDS; round++) {
            for (int i = 0; i < PER_ROUND; i++) {
                client.beginHandshake(); // TLS 1.3: a KeyUpdate asking for ours
                wrapClient();
            }
            TlsHarness.runFor(base, Duration.ofMillis(2));
            mostOutput = Math.max(mostOutput, p[0].getOutput().getLength());
            mostInput = Math.max(mostInput, p[0].getInput().getLength());
        }
        int sent = ROUNDS * PER_ROUND;
        int answered = server.getPeerKeyUpdates();
        System.out.println("key update flood, peer not reading: " + sent + " sent, " + answered
                + " read by the server; most ciphertext waiting in its transport: out " + mostOutput + ", in "
                + mostInput + "; left with the peer " + raw.getOutput().getLength());
        assertEquals(List.of("CONNECTED"), serverEvents, () -> "errors " + server.getSslErrors());
        assertTrue(mostOutput <= WRITE_HIGH + TlsPump.HANDSHAKE_ALLOWANCE + 64,
                "the transport's output grew to " + mostOutput);
        assertTrue(answered < sent, "the server stopped reading: " + answered + " of " + sent);
        assertTrue(raw.getOutput().getLength() > 0, "what the server did not read waits with the peer");

        // The peer reads again: everything is answered, and data still flows both ways.
        raw.enable(EV_READ);
        try {
            TlsHarness.runUntil(base, () -> {
                clientStep();
                return server.getPeerKeyUpdates() == sent && raw.getOutput().getLength() == 0;
            }, Duration.ofSeconds(30));
        } catch (AssertionError e) {
            throw new AssertionError("answered " + server.getPeerKeyUpdates() + ", peer out " + raw.getOutput().getLength()
                    + ", peer in " + raw.getInput().getLength() + ", transport in " + p[0].getInput().getLength()
                    + ", transport out " + p[0].getOutput().getLength() + ", " + server + ", transport enabled "
                    + p[0].getEnabled() + ", events " + serverEvents + " " + server.getSslErrors(), e);
        }
        server.write("still here".getBytes(StandardCharsets.US_ASCII));
        TlsHarness.runUntil(base, () -> {
            clientStep();
            return clientGot.toString().contains("still here");
        }, Duration.ofSeconds(20));
        assertEquals(List.of("CONNECTED"), serverEvents, () -> "errors " + server.getSslErrors());
    }

    /** One round of the bare client: tasks, wraps, then unwraps of whatever the server sent. */
    private void clientStep() {
        try {
            wrapClient();
            if (raw.getInput().getLength() > 0) {
                byte[] in = new byte[(int) raw.getInput().getLength()];
                raw.read(in);
                if (fromServer.remaining() < in.length) {
                    ByteBuffer bigger = ByteBuffer.allocate(fromServer.capacity() * 2 + in.length);
                    fromServer.flip();
                    bigger.put(fromServer);
                    fromServer = bigger;
                }
                fromServer.put(in);
            }
            fromServer.flip();
            while (fromServer.hasRemaining()) {
                clientPlain.clear();
                SSLEngineResult r = client.unwrap(fromServer, clientPlain);
                runTasks();
                clientPlain.flip();
                clientGot.append(StandardCharsets.US_ASCII.decode(clientPlain));
                if (r.bytesConsumed() == 0) {
                    break;
                }
                wrapClient();
            }
            fromServer.compact();
        } catch (SSLException e) {
            throw new AssertionError(e);
        }
    }

    /** Wraps what the client engine has to send and writes it to the pair. */
    private void wrapClient() {
        try {
            for (int i = 0; i < 20; i++) {
                runTasks();
                clientOut.clear();
                SSLEngineResult r = client.wrap(ByteBuffer.allocate(0), clientOut);
                if (r.bytesProduced() > 0) {
                    raw.write(clientOut.array(), 0, clientOut.position());
                } else if (client.getHandshakeStatus() != HandshakeStatus.NEED_TASK) {
                    return;
                }
            }
        } catch (SSLException e) {
            throw new AssertionError(e);
        }
    }

    private void runTasks() {
        Runnable t;
        while ((t = client.getDelegatedTask()) != null) {
            t.run();
        }
    }
}
