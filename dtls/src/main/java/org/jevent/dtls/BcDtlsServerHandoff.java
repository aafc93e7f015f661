package org.jevent.dtls;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import org.bouncycastle.tls.DTLSRequest;
import org.bouncycastle.tls.DTLSVerifier;
import org.bouncycastle.tls.DatagramSender;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

/**
 * Turns a ClientHello verified by {@link HmacCookieScheme} into the {@link DTLSRequest} that
 * bctls' {@code DTLSServerProtocol.accept} needs (its constructor is package-private; only
 * {@link DTLSVerifier#verifyRequest} makes one). {@code DTLSVerifier} computes the same HMAC as
 * our scheme, keyed from {@code crypto.getSecureRandom()} at construction; we hand it a source
 * that yields our secret, so it re-verifies our cookie and returns the request. A verifier is
 * kept per secret (current and previous) and remade when the scheme rotates.
 *
 * <p>Invariant: {@code secretA/verifierA} and {@code secretB/verifierB} each pair a secret
 * (compared by identity with the scheme's) with a verifier keyed by it. Loop thread only.
 */
final class BcDtlsServerHandoff {
    private final HmacCookieScheme cookies;
    private byte[] secretA;
    private DTLSVerifier verifierA;
    private byte[] secretB;
    private DTLSVerifier verifierB;
    private boolean bctlsAnswered;

    private final DatagramSender sender = new DatagramSender() {
        @Override
        public int getSendLimit() {
            return 1500;
        }

        @Override
        public void send(byte[] buf, int off, int len) {
            bctlsAnswered = true; // a HelloVerifyRequest: bctls disagreed with our verdict
        }
    };

    BcDtlsServerHandoff(HmacCookieScheme cookies) {
        this.cookies = cookies;
    }

    DTLSRequest request(ClientHelloView hello, InetSocketAddress peer) {
        byte[] secret = cookies.verifiedSecret(hello, peer);
        if (secret == null) {
            throw new IllegalStateException("ClientHello not verified by our cookie scheme");
        }
        byte[] clientId = new byte[18];
        int idLen = HmacCookieScheme.writeClientId(peer, clientId, 0);
        byte[] id = java.util.Arrays.copyOf(clientId, idLen);
        ByteBuffer b = hello.buffer();
        byte[] datagram = new byte[hello.datagramLength()];
        int start = hello.bodyOffset() - ClientHelloView.HANDSHAKE_HEADER_LENGTH - ClientHelloView.RECORD_HEADER_LENGTH;
        b.get(start, datagram, 0, datagram.length);
        bctlsAnswered = false;
        DTLSRequest r = verifierFor(secret).verifyRequest(id, datagram, 0, datagram.length, sender);
        if (r == null || bctlsAnswered) {
            throw new IllegalStateException("bctls refused a ClientHello our scheme verified");
        }
        return r;
    }

    private DTLSVerifier verifierFor(byte[] secret) {
        if (secret == secretA) {
            return verifierA;
        }
        if (secret == secretB) {
            return verifierB;
        }
        // Replace the pair entry that matches neither current nor previous secret.
        DTLSVerifier v = new DTLSVerifier(new BcTlsCrypto(new KeySource(secret)));
        if (secretA != cookies.currentSecret() && secretA != cookies.previousSecret()) {
            secretA = secret;
            verifierA = v;
        } else {
            secretB = secret;
            verifierB = v;
        }
        return v;
    }

    /** Yields one fixed key: the only bytes DTLSVerifier draws, for its MAC key. */
    private static final class KeySource extends SecureRandom {
        private final byte[] key;

        KeySource(byte[] key) {
            this.key = key.clone();
        }

        @Override
        public void nextBytes(byte[] bytes) {
            if (bytes.length != key.length) {
                throw new IllegalStateException("DTLSVerifier asked for " + bytes.length + " bytes, not its 32-byte key");
            }
            System.arraycopy(key, 0, bytes, 0, key.length);
        }
    }
}
