package org.jevent.bufferevent.ssl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The checks {@link SslContexts.Builder#build()} makes on protocols and cipher suites: every
 * requested name must be one the context supports, and the guard for Conscrypt servers asked for
 * TLS 1.3 suites only (the class comment of {@link SslContexts} says why): the TLS 1.2 ECDHE
 * suites for the key's type are added so that Conscrypt sets the certificate, and every protocol
 * but TLSv1.3 is removed so that those suites can never be negotiated.
 */
final class SuiteChecks {
    private SuiteChecks() {
    }

    /** Throws {@link IllegalArgumentException} naming whatever of {@code requested} is not {@code supported}. */
    static void requireSupported(String what, String[] requested, String[] supported) {
        Set<String> s = Set.of(supported);
        List<String> missing = new ArrayList<>();
        for (String r : requested) {
            if (!s.contains(r)) {
                missing.add(r);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("unsupported " + what + (missing.size() > 1 ? "s " : " ") + missing
                    + "; supported: " + Arrays.toString(supported));
        }
    }

    /** TLS 1.3 suite names carry no key exchange: {@code TLS_AES_*}, {@code TLS_CHACHA20_*}. */
    static boolean allTls13(String[] suites) {
        for (String s : suites) {
            if (!(s.startsWith("TLS_AES_") || s.startsWith("TLS_CHACHA20_"))) {
                return false;
            }
        }
        return true;
    }

    /** {@code suites} plus the supported TLS 1.2 ECDHE GCM suites that sign with {@code keyType}. */
    static String[] withTls12SuitesFor(String[] suites, String keyType, String[] supported) {
        String auth = switch (keyType) {
            case "EC" -> "_ECDSA_";
            case "RSA" -> "_RSA_";
            default -> null;
        };
        Set<String> out = new LinkedHashSet<>(List.of(suites));
        for (String s : supported) {
            if (s.startsWith("TLS_ECDHE" + (auth == null ? "" : auth)) && s.contains("GCM")) {
                out.add(s);
            }
        }
        return out.toArray(new String[0]);
    }

    /** Only the TLSv1.3 entry of {@code protocols}; there must be one. */
    static String[] tls13Only(String[] protocols) {
        List<String> out = new ArrayList<>();
        for (String p : protocols) {
            if (p.toUpperCase(Locale.ROOT).equals("TLSV1.3")) {
                out.add(p);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("only TLS 1.3 cipher suites, but TLSv1.3 is not among the protocols "
                    + Arrays.toString(protocols));
        }
        return out.toArray(new String[0]);
    }
}
