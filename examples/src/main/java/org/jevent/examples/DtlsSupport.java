package org.jevent.examples;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.jevent.bufferevent.ssl.SelfSignedCertificate;
import org.jevent.bufferevent.ssl.SslContexts;
import org.jevent.bufferevent.ssl.SslError;
import org.jevent.dtls.DtlsSession;
import org.jevent.dtls.JdkDtls;

/**
 * What dtls-server and dtls-client (the ports of Qt's DTLS examples) share: Qt's way of naming a
 * peer, the pre-shared key and certificate options, durations in seconds, and the one-line
 * account of why a session ended.
 */
final class DtlsSupport {
    /** The PSK identity of Qt's DTLS client example. */
    static final String QT_CLIENT_IDENTITY = "Qt DTLS example client";
    /** The pre-shared key of Qt's DTLS examples, as the {@code --psk} option spells it. */
    static final String QT_KEY_HEX = "1a2b3c4d5e6f";

    private DtlsSupport() {
    }

    /**
     * A peer as Qt's server example names it, {@code (ADDRESS:PORT)}: the address as {@code
     * QHostAddress::toString} writes it (IPv6 in its compressed form, RFC 5952, without brackets).
     */
    static String peerInfo(InetSocketAddress peer) {
        return "(" + addressText(peer.getAddress()) + ":" + peer.getPort() + ")";
    }

    /** The ACK text Qt's server sends for every decrypted message: {@code to (ADDRESS:PORT): ACK}. */
    static String ackFor(InetSocketAddress peer) {
        return "to " + peerInfo(peer) + ": ACK";
    }

    /** IPv4 dotted; IPv6 with the longest run (2 or more) of zero groups as "::", lower case. */
    static String addressText(InetAddress a) {
        if (!(a instanceof Inet6Address)) {
            return a.getHostAddress();
        }
        byte[] b = a.getAddress();
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                s.append("::");
                i += bestLen - 1;
                continue;
            }
            if (s.length() > 0 && s.charAt(s.length() - 1) != ':') {
                s.append(':');
            }
            s.append(Integer.toHexString(g[i]));
        }
        return s.toString();
    }

    /** {@code --psk HEX}: the key's bytes; empty or not hex is a usage error. */
    static byte[] key(Opts opts) {
        String hex = opts.get("--psk", QT_KEY_HEX);
        try {
            byte[] key = HexFormat.of().parseHex(hex);
            if (key.length == 0) {
                throw new IllegalArgumentException("empty");
            }
            return key;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--psk wants the key in hex (like " + QT_KEY_HEX + "), not '" + hex + "'");
        }
    }

    /** A duration option given in seconds (fractions allowed); negative is a usage error. */
    static Duration seconds(Opts opts, String name, double dflt) {
        double s = opts.getDouble(name, dflt);
        if (s < 0 || Double.isNaN(s) || s > 1e9) {
            throw new IllegalArgumentException(name + " wants seconds >= 0, not " + s);
        }
        return Duration.ofNanos((long) (s * 1e9));
    }

    /** A duration option that must be above zero. */
    static Duration positiveSeconds(Opts opts, String name, double dflt) {
        Duration d = seconds(opts, name, dflt);
        if (d.isZero()) {
            throw new IllegalArgumentException(name + " must be above 0");
        }
        return d;
    }

    /** Certificate mode, server: {@code --cert}/{@code --key} PEM files, or a throw-away self-signed certificate. */
    static JdkDtls serverCertificates(Opts opts) throws Exception {
        SslContexts.Builder b = opts.has("--cert")
                ? SslContexts.forServer(Path.of(opts.get("--cert", null)), Path.of(opts.get("--key", null)))
                : SslContexts.forServer(SelfSignedCertificate.generate());
        return JdkDtls.server(b.dtls().build());
    }

    /**
     * Certificate mode, client: trust {@code --cafile} (a CA or the server's own certificate), or
     * with {@code --insecure} any certificate (for a server's generated one).
     */
    static JdkDtls clientCertificates(Opts opts) throws Exception {
        SslContexts.Builder b = SslContexts.forClient();
        if (opts.has("--insecure")) {
            b.trustAllInsecure();
        } else {
            b.trustPem(Path.of(opts.get("--cafile", null)));
        }
        return JdkDtls.client(b.dtls().build());
    }

    /** Why a session failed, from its error queue, in one line. */
    static String firstError(DtlsSession session) {
        List<SslError> errors = session.getSslErrors();
        return errors.isEmpty() ? "no error recorded" : errors.get(0).describe();
    }
}
