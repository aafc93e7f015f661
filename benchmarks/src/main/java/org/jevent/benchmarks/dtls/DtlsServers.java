package org.jevent.benchmarks.dtls;

import java.util.ArrayList;
import java.util.List;

/** The servers a DTLS load run can drive, by name, and the mode each one speaks. */
final class DtlsServers {
    static final String JEVENT_CERT = "jevent-cert";
    static final String SCANDIUM_CERT = "scandium-cert";
    static final String JEVENT_PSK = "jevent-psk";
    static final String SCANDIUM_PSK = "scandium-psk";
    static final String UDP = "udp";
    static final List<String> ALL = List.of(JEVENT_CERT, SCANDIUM_CERT, JEVENT_PSK, SCANDIUM_PSK, UDP);

    /** How the client talks to a server. */
    enum Mode {
        /** DTLS 1.2 with the run's certificate (the JDK's engine on the client). */
        CERT,
        /** DTLS 1.2 with the Qt example's pre-shared key (bctls on the client). */
        PSK,
        /** Plain UDP datagrams. */
        UDP
    }

    private DtlsServers() {
    }

    static Mode mode(String server) {
        if (server.endsWith("-cert")) {
            return Mode.CERT;
        }
        return server.endsWith("-psk") ? Mode.PSK : Mode.UDP;
    }

    /** The Scandium server of the same mode (the floors' peer), or null. */
    static String peer(String jeventServer) {
        return switch (jeventServer) {
            case JEVENT_CERT -> SCANDIUM_CERT;
            case JEVENT_PSK -> SCANDIUM_PSK;
            default -> null;
        };
    }

    /** {@code --servers}: names from {@link #ALL}, comma separated. */
    static List<String> parse(String list) {
        List<String> out = new ArrayList<>();
        for (String s : list.split(",")) {
            if (!ALL.contains(s)) {
                throw new IllegalArgumentException("unknown server " + s + "; known: " + ALL);
            }
            out.add(s);
        }
        return out;
    }
}
