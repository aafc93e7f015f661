package org.jevent.dtls;

import org.bouncycastle.tls.CipherSuite;

/** IANA names of the bctls suites we enable (bctls reports numbers only). */
final class CipherSuiteNames {
    private CipherSuiteNames() {
    }

    static String name(int suite) {
        return switch (suite) {
            case CipherSuite.TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256 -> "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256";
            case CipherSuite.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256 -> "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256";
            case CipherSuite.TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256 -> "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256";
            case CipherSuite.TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384 -> "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384";
            case CipherSuite.TLS_PSK_WITH_CHACHA20_POLY1305_SHA256 -> "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256";
            case CipherSuite.TLS_PSK_WITH_AES_128_GCM_SHA256 -> "TLS_PSK_WITH_AES_128_GCM_SHA256";
            case CipherSuite.TLS_PSK_WITH_AES_256_GCM_SHA384 -> "TLS_PSK_WITH_AES_256_GCM_SHA384";
            case CipherSuite.TLS_PSK_WITH_AES_128_CCM_8 -> "TLS_PSK_WITH_AES_128_CCM_8";
            case CipherSuite.TLS_PSK_WITH_AES_128_CCM -> "TLS_PSK_WITH_AES_128_CCM";
            case CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256 -> "TLS_PSK_WITH_AES_128_CBC_SHA256";
            default -> null;
        };
    }
}
