package org.jevent.bufferevent.ssl;

import java.nio.ByteBuffer;
import java.util.Arrays;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import org.jevent.evbuffer.EvBuffer;

/**
 * The zero-copy path, for engines that read and write direct memory without staging it
 * (Conscrypt): a record is unwrapped where it lies in the transport's input (made contiguous only
 * when it spans segments), plaintext is decrypted straight into space reserved in the
 * bufferevent's input, and a wrap gathers the output's segments and encrypts into space reserved
 * in the transport's output.
 */
final class DirectEngineIo extends EngineIo {
    /** Some engines look at every element of the destination array, even past the count. */
    private static final ByteBuffer NO_ROOM = ByteBuffer.allocateDirect(0);
    private static final int GATHER_VIEWS = 8;
    /**
     * A first segment holding at least this much is wrapped alone, even when it ends short of a
     * full record: Conscrypt copies a gathered source into one buffer before encrypting it, which
     * costs more than the shorter record does (64 KiB echo: 1.2× Netty-on-Conscrypt with this,
     * 0.96× when every record was gathered). Smaller pieces are still gathered, so that many
     * small writes fill one record.
     */
    private static final int SINGLE_VIEW_MIN = 1024;

    private final ByteBuffer[] plainOut = new ByteBuffer[2];
    private final ByteBuffer[] cipherOut = new ByteBuffer[1];
    private final ByteBuffer[] plainIn = new ByteBuffer[GATHER_VIEWS];
    private final ByteBuffer[] recordView = new ByteBuffer[1];
    private boolean filledRoom;

    @Override
    SSLEngineResult unwrap(SSLEngine engine, EvBuffer src, int recordLength, EvBuffer dst) throws SSLException {
        ByteBuffer record = recordLength > 0 ? front(src, recordLength) : EMPTY;
        int n = dst.reserveSpace(engine.getSession().getApplicationBufferSize(), plainOut);
        if (n == 1) {
            plainOut[1] = NO_ROOM;
        }
        long room = plainOut[0].remaining() + (n > 1 ? plainOut[1].remaining() : 0);
        SSLEngineResult r;
        try {
            r = engine.unwrap(record, plainOut, 0, n);
        } catch (SSLException | RuntimeException e) {
            giveBack(dst, plainOut, n);
            throw e;
        }
        filledRoom = r.bytesProduced() >= room;
        dst.commitSpace(plainOut, n);
        if (r.bytesConsumed() > 0) {
            src.drain(r.bytesConsumed());
        }
        return r;
    }

    @Override
    boolean lastUnwrapFilledRoom() {
        return filledRoom;
    }

    /** Ends a reservation with nothing in it, so that its space goes back to the pool. */
    private static void giveBack(EvBuffer dst, ByteBuffer[] views, int n) {
        for (int i = 0; i < n; i++) {
            views[i].clear();
        }
        dst.commitSpace(views, n);
    }

    /**
     * The first {@code len} bytes of {@code src} as one buffer. A record that lies in one segment
     * (the usual case) is read through the segment's own view, with nothing allocated; one that
     * spans segments is made contiguous first.
     */
    private ByteBuffer front(EvBuffer src, int len) {
        if (src.peek(len, null, recordView) != 1) {
            src.pullup(len);
            src.peek(len, null, recordView);
        }
        ByteBuffer v = recordView[0];
        recordView[0] = null;
        return v.limit(v.position() + len);
    }

    @Override
    SSLEngineResult wrap(SSLEngine engine, EvBuffer src, EvBuffer dst) throws SSLException {
        int nsrc = src == null ? 0 : Math.min(src.peek(MAX_RECORD_PLAINTEXT, null, plainIn), GATHER_VIEWS);
        if (nsrc > 1 && plainIn[0].remaining() >= SINGLE_VIEW_MIN) {
            nsrc = 1;
        }
        dst.reserveSpace(engine.getSession().getPacketBufferSize(), cipherOut);
        try {
            SSLEngineResult r = engine.wrap(plainIn, 0, nsrc, cipherOut[0]);
            dst.commitSpace(cipherOut, 1);
            return r;
        } catch (SSLException | RuntimeException e) {
            giveBack(dst, cipherOut, 1);
            throw e;
        } finally {
            Arrays.fill(plainIn, 0, nsrc, null); // do not keep views of memory the buffer may reuse
        }
    }
}
