package org.jevent.bufferevent.ssl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Random;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A peer that stops reading must be felt by the writer: plaintext stays in the TLS
 * bufferevent's output (and its write callback stays quiet) instead of being encrypted into an
 * unbounded transport buffer, on the socket variant (whose transport nobody else can bound) and
 * on a filter over a socket bufferevent that has no write high watermark. When the peer reads
 * again, everything arrives intact and the write callback fires.
 */
@Timeout(60)
class SslBackpressureTest {
    /**
     * What the kernel may absorb on a loopback connection at most: the largest receive buffer
     * plus the largest send buffer autotuning may grow to (32 + 4 MiB on this machine).
     */
    private static final int KERNEL = kernelMax("tcp_rmem") + kernelMax("tcp_wmem");
    /** Sent while the peer does not read: far more than the kernel holds. */
    private static final int TOTAL = KERNEL + (16 << 20);

    private static int kernelMax(String sysctl) {
        try {
            String[] v = Files.readString(Path.of("/proc/sys/net/ipv4", sysctl)).trim().split("\\s+");
            return Integer.parseInt(v[2]);
        } catch (IOException | RuntimeException e) {
            return 32 << 20; // not Linux, or unreadable: a generous guess
        }
    }

    private final EventBase base = new EventBase();

    @AfterEach
    void free() {
        base.free();
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"CONSCRYPT,SOCKET", "CONSCRYPT,FILTER_SOCKET", "JDK,SOCKET", "JDK,FILTER_SOCKET", "TCNATIVE,SOCKET",
        "TCNATIVE,FILTER_SOCKET"})
    void aPeerThatStopsReadingHoldsPlaintextBack(SslProvider impl, TlsHarness.Variant variant)
            throws Exception {
        SslBufferevent[] link = TlsHarness.link(base, variant, impl, "TLSv1.3", 0);
        SslBufferevent client = link[0];
        SslBufferevent server = link[1];
        MessageDigest received = MessageDigest.getInstance("SHA-256");
        long[] got = new long[1];
        int[] writecbs = new int[1];
        int[] connected = new int[1];
        server.setCallbacks(b -> {
            byte[] a = new byte[(int) b.getInput().getLength()];
            b.read(a);
            received.update(a);
            got[0] += a.length;
        }, null, (b, what) -> connected[0]++);
        client.setCallbacks(null, b -> writecbs[0]++, (b, what) -> connected[0]++);
        client.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        server.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        TlsHarness.runUntil(base, () -> connected[0] == 2, Duration.ofSeconds(20));

        writecbs[0] = 0; // the handshake's own flights drained; only the data counts from here
        server.disable(Bufferevent.EV_READ);
        byte[] data = new byte[TOTAL];
        new Random(21).nextBytes(data);
        client.write(data);
        TlsHarness.runFor(base, Duration.ofMillis(500));
        // What may have left: at most KERNEL bytes into the kernel's buffers and one bounded
        // batch in the client's transport. Unbounded, everything would have been encrypted and
        // the output would be empty.
        long held = client.getOutput().getLength();
        assertTrue(held >= TOTAL - KERNEL - (8 << 20),
                () -> "only " + held + " of " + TOTAL + " bytes held back: no back-pressure");
        assertEquals(0, writecbs[0], "the write callback ran while the peer was not reading");

        server.enable(Bufferevent.EV_READ);
        TlsHarness.runUntil(base, () -> got[0] == TOTAL, Duration.ofSeconds(40));
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(data), received.digest());
        TlsHarness.runUntil(base, () -> writecbs[0] > 0, Duration.ofSeconds(5));
        assertEquals(0, client.getOutput().getLength());
        client.free();
        server.free();
    }
}
