package org.jevent.dtls;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.tls.BasicTlsPSKIdentity;
import org.bouncycastle.tls.DTLSClientProtocol;
import org.bouncycastle.tls.DTLSServerProtocol;
import org.bouncycastle.tls.DTLSTransport;
import org.bouncycastle.tls.DatagramTransport;
import org.bouncycastle.tls.PSKTlsClient;
import org.bouncycastle.tls.PSKTlsServer;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsPSKIdentityManager;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

/** A bctls PSK handshake over in-memory queues, for tests that need a raw DTLSTransport. */
final class BcMemoryPair {
    private BcMemoryPair() {
    }

    /** Blocking in-memory link; after {@code handOver}, receive goes to {@code after}. */
    private static final class Link implements DatagramTransport {
        final BlockingQueue<byte[]> in;
        final BlockingQueue<byte[]> out;
        volatile DatagramTransport after;

        Link(BlockingQueue<byte[]> in, BlockingQueue<byte[]> out) {
            this.in = in;
            this.out = out;
        }

        @Override public int getReceiveLimit() { return 1452; }
        @Override public int getSendLimit() { return 1452; }

        @Override public int receive(byte[] buf, int off, int len, int waitMillis) throws IOException {
            if (after != null) {
                return after.receive(buf, off, len, waitMillis);
            }
            try {
                byte[] d = in.poll(waitMillis == 0 ? 1000 : waitMillis, TimeUnit.MILLISECONDS);
                if (d == null) {
                    return -1;
                }
                System.arraycopy(d, 0, buf, off, d.length);
                return d.length;
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
        }

        @Override public void send(byte[] buf, int off, int len) {
            out.add(Arrays.copyOfRange(buf, off, off + len));
        }

        @Override public void close() { }
    }

    static DTLSTransport establishedClientOver(DatagramTransport after) throws Exception {
        BlockingQueue<byte[]> c2s = new ArrayBlockingQueue<>(64);
        BlockingQueue<byte[]> s2c = new ArrayBlockingQueue<>(64);
        Link clientLink = new Link(s2c, c2s);
        Link serverLink = new Link(c2s, s2c);
        byte[] key = BcPskDtls.qtExampleKey();
        PSKTlsClient client = new PSKTlsClient(new BcTlsCrypto(new SecureRandom()), new BasicTlsPSKIdentity("c", key)) {
            @Override protected ProtocolVersion[] getSupportedVersions() { return ProtocolVersion.DTLSv12.only(); }
        };
        PSKTlsServer server = new PSKTlsServer(new BcTlsCrypto(new SecureRandom()), new TlsPSKIdentityManager() {
            @Override public byte[] getHint() { return null; }
            @Override public byte[] getPSK(byte[] id) { return key; }
        }) {
            @Override protected ProtocolVersion[] getSupportedVersions() { return ProtocolVersion.DTLSv12.only(); }
        };
        CompletableFuture<DTLSTransport> s = CompletableFuture.supplyAsync(() -> {
            try {
                return new DTLSServerProtocol().accept(server, serverLink);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        DTLSTransport c = new DTLSClientProtocol().connect(client, clientLink);
        s.get(10, TimeUnit.SECONDS);
        clientLink.after = after;
        return c;
    }
}
