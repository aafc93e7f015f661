package org.jevent.dtls;

import java.nio.ByteBuffer;

/**
 * A read-only view of whichever buffer a stream of datagrams passes through, for a {@link
 * DtlsSession.DatagramTap}: datagrams arrive in the socket's one receive buffer and leave from
 * the engine's per-thread scratch buffer, so the view is made once per buffer and then only
 * re-windowed, and showing a datagram allocates nothing in the steady state.
 *
 * <p>Invariant: {@code view}, when non-null, is {@code source.asReadOnlyBuffer()}: same content
 * and capacity, so any window of {@code source} is a valid window of {@code view}.
 */
final class ReadOnlyView {
    private ByteBuffer source;
    private ByteBuffer view;

    /**
     * @param datagram the bytes, position..limit
     * @return a read-only view of the same bytes with the same position and limit, reused by the next call
     */
    ByteBuffer of(ByteBuffer datagram) {
        if (datagram != source) {
            source = datagram;
            view = datagram.asReadOnlyBuffer();
        }
        view.limit(datagram.limit()).position(datagram.position());
        return view;
    }
}
