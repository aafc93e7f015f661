package org.jevent.examples;

import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_READING;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.jevent.dtls.DtlsSession;

/**
 * A session's {@link DtlsSession.DatagramTap} that keeps a copy of the last DTLS datagram that
 * came in, so that the read callback can print it in hex beside the plain text, as Qt's DTLS
 * example windows do: the tap sees a datagram before the engine decrypts it (in place), and the
 * read callback gets the message decrypted from it.
 *
 * <p>Invariant: {@code last[0 .. length)} is the most recent incoming datagram; the array grows
 * to the largest one seen and is then reused. Loop thread only, like the session.
 */
final class LastDatagram implements DtlsSession.DatagramTap {
    private byte[] last = new byte[0];
    private int length;

    @Override
    public void call(DtlsSession session, ByteBuffer datagram, int direction) {
        if (direction != BEV_EVENT_READING) {
            return;
        }
        int n = datagram.remaining();
        if (last.length < n) {
            last = new byte[n];
        }
        datagram.get(datagram.position(), last, 0, n);
        length = n;
    }

    /** @return a copy of the last incoming datagram (in a read callback: the one the message came in); empty before the first */
    byte[] bytes() {
        return Arrays.copyOf(last, length);
    }
}
