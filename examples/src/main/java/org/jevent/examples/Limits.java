package org.jevent.examples;

import java.time.Duration;
import java.util.Locale;

/**
 * The options that bound what a connection may cost a server example (issue 11), parsed and
 * described the same way in echo-server, le-proxy, pg-tls-proxy and becat: how many connections
 * at once, the listen backlog, how many bytes may wait for a peer before its source stops being
 * read, and how long a connection may take to set up (a TLS handshake, a startup exchange)
 * whatever it sends meanwhile. Each has a default that is safe on an exposed port; 0 turns the
 * time limits off.
 */
final class Limits {
    static final String MAX_CONNECTIONS = "--max-connections";
    static final String BACKLOG = "--backlog";
    static final String HIGH_WATER = "--high-water";
    static final String HANDSHAKE_TIMEOUT = "--handshake-timeout";

    static final int DEFAULT_MAX_CONNECTIONS = 1024;
    /** libevent's default when the caller passes -1. */
    static final int DEFAULT_BACKLOG = 128;
    static final double DEFAULT_HANDSHAKE_SECONDS = 10;

    private Limits() {
    }

    /** Usage lines of {@code --max-connections} and {@code --backlog}. */
    static String usageConnections() {
        return String.join("\n",
                "  --max-connections N  serve at most N connections at once; one more is reset as soon as",
                "                       it is accepted, and refusals are logged as a rate-limited warning",
                "                       (default " + DEFAULT_MAX_CONNECTIONS + ")",
                "  --backlog N          listen backlog: connections the kernel holds before they are",
                "                       accepted (default " + DEFAULT_BACKLOG + ")");
    }

    /** Usage lines of {@code --high-water}; {@code whose} says whose output is meant. */
    static String usageHighWater(String whose, long dflt) {
        return String.join("\n",
                "  --high-water BYTES   stop reading a connection while BYTES or more wait in",
                "                       " + whose + ",",
                "                       resume at half: a peer that does not read costs a bounded",
                "                       amount (default " + bytes(dflt) + "; suffixes k and m)");
    }

    /** Usage lines of {@code --handshake-timeout}. */
    static String usageHandshake() {
        return String.join("\n",
                "  --handshake-timeout S  close a TLS connection whose handshake has not finished S seconds",
                "                       after it was accepted, however many bytes it trickled meanwhile",
                "                       (default " + (int) DEFAULT_HANDSHAKE_SECONDS + "; 0: no limit but the idle timeout)");
    }

    static int maxConnections(Opts o) {
        return atLeastOne(o, MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS);
    }

    static int backlog(Opts o) {
        return atLeastOne(o, BACKLOG, DEFAULT_BACKLOG);
    }

    /** {@code --high-water}: a byte count, with an optional k or m suffix; at least 1 KiB. */
    static long highWater(Opts o, long dflt) {
        String v = o.get(HIGH_WATER, null);
        if (v == null) {
            return dflt;
        }
        String s = v.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        if (s.endsWith("k")) {
            unit = 1024;
        } else if (s.endsWith("m")) {
            unit = 1024 * 1024;
        }
        if (unit != 1) {
            s = s.substring(0, s.length() - 1);
        }
        long n;
        try {
            n = Math.multiplyExact(Long.parseLong(s), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("option " + HIGH_WATER + " wants a byte count such as 256k, not '" + v + "'");
        }
        if (n < 1024) {
            throw new IllegalArgumentException("option " + HIGH_WATER + " must be at least 1k: " + v);
        }
        return n;
    }

    /** A time option in seconds (fractions allowed); null for 0 (no limit); negative is a usage error. */
    static Duration seconds(Opts o, String name, double dflt) {
        double s = o.getDouble(name, dflt);
        if (s < 0 || Double.isNaN(s)) {
            throw new IllegalArgumentException("option " + name + " must not be negative");
        }
        long millis = (long) (s * 1000);
        return millis == 0 ? null : Duration.ofMillis(millis);
    }

    /** "256 KiB", "1 MiB", "1000 bytes". */
    static String bytes(long n) {
        if (n % (1024 * 1024) == 0) {
            return (n >> 20) + " MiB";
        }
        if (n % 1024 == 0) {
            return (n >> 10) + " KiB";
        }
        return n + " bytes";
    }

    /** "10 s", or "none" for null. */
    static String describe(Duration d) {
        return d == null ? "none" : d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static int atLeastOne(Opts o, String name, int dflt) {
        int v = o.getInt(name, dflt);
        if (v < 1) {
            throw new IllegalArgumentException("option " + name + " must be at least 1");
        }
        return v;
    }
}
