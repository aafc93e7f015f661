package org.jevent.bufferevent;

import static org.jevent.bufferevent.BevTestSupport.dispatchBounded;
import static org.jevent.bufferevent.BevTestSupport.pattern;
import static org.jevent.bufferevent.Bufferevent.BEV_OPT_CLOSE_ON_FREE;
import static org.jevent.bufferevent.Bufferevent.EV_READ;
import static org.jevent.bufferevent.Bufferevent.EV_WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.SocketChannel;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.jevent.eventbase.EventBase;
import org.jevent.evbuffer.EvBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** libevent's {@code test/regress_zlib.c}: deflate and inflate filters with java.util.zip. */
@Timeout(30)
class RegressZlibTest {
    private int infilterCalls;
    private int outfilterCalls;
    private int readcbFinished;
    private int writecbFinished;
    private boolean errorcbInvoked;
    private boolean deflaterEnded;
    private boolean inflaterEnded;
    private byte[] received;
    private long compressedBytes;

    /** zlib_output_filter: NORMAL → NO_FLUSH, FLUSH → SYNC_FLUSH, FINISHED → finish. */
    private final class DeflateFilter implements BuffereventFilter {
        final Deflater z = new Deflater(Deflater.DEFAULT_COMPRESSION);
        final byte[] out = new byte[4096];

        @Override
        public FilterResult filter(EvBuffer src, EvBuffer dst, long dstLimit, FlushMode mode) {
            byte[] in = new byte[(int) src.getLength()];
            src.remove(in);
            if (in.length > 0) {
                z.setInput(in);
            }
            if (mode == FlushMode.FINISHED) {
                z.finish();
            }
            int flush = mode == FlushMode.FLUSH ? Deflater.SYNC_FLUSH : Deflater.NO_FLUSH;
            while (true) {
                int n = z.deflate(out, 0, out.length, flush);
                if (n > 0) {
                    dst.add(out, 0, n);
                    compressedBytes += n;
                }
                boolean done = mode == FlushMode.FINISHED ? z.finished() : (z.needsInput() && n < out.length);
                if (done) {
                    break;
                }
            }
            ++outfilterCalls;
            return FilterResult.OK;
        }

        @Override
        public void free() {
            z.end();
            deflaterEnded = true;
        }
    }

    /** zlib_input_filter. */
    private final class InflateFilter implements BuffereventFilter {
        final Inflater z = new Inflater();
        final byte[] out = new byte[4096];

        @Override
        public FilterResult filter(EvBuffer src, EvBuffer dst, long dstLimit, FlushMode mode) {
            byte[] in = new byte[(int) src.getLength()];
            src.remove(in);
            if (in.length > 0) {
                z.setInput(in);
            }
            try {
                while (true) {
                    int n = z.inflate(out);
                    if (n > 0) {
                        dst.add(out, 0, n);
                    }
                    if (n == 0 && (z.needsInput() || z.finished() || z.needsDictionary())) {
                        break;
                    }
                }
            } catch (DataFormatException e) {
                return FilterResult.ERROR;
            }
            ++infilterCalls;
            return FilterResult.OK;
        }

        @Override
        public void free() {
            z.end();
            inflaterEnded = true;
        }
    }

    @Test
    void test_bufferevent_zlib() throws Exception {
        EventBase base = new EventBase();
        SocketChannel[] pair = BevTestSupport.socketPair();
        Bufferevent bev1 = Bufferevent.socket(base, pair[0], BEV_OPT_CLOSE_ON_FREE);
        Bufferevent bev2 = Bufferevent.socket(base, pair[1], BEV_OPT_CLOSE_ON_FREE);
        try {
            bev1 = Bufferevent.filter(bev1, null, new DeflateFilter(), BEV_OPT_CLOSE_ON_FREE);
            bev2 = Bufferevent.filter(bev2, new InflateFilter(), null, BEV_OPT_CLOSE_ON_FREE);
            Bufferevent.DataCb readcb = bev -> {
                if (bev.getInput().getLength() == 8333) {
                    EvBuffer evbuf = new EvBuffer();
                    bev.readBuffer(evbuf); // gratuitous test of bufferevent_read_buffer
                    bev.disable(EV_READ);
                    if (evbuf.getLength() == 8333) {
                        ++readcbFinished;
                        received = BevTestSupport.drain(evbuf);
                    }
                    evbuf.free();
                }
            };
            Bufferevent.DataCb writecb = bev -> {
                if (bev.getOutput().getLength() == 0) {
                    ++writecbFinished;
                }
            };
            Bufferevent.EventCb errorcb = (bev, what) -> errorcbInvoked = true;
            bev1.setCallbacks(readcb, writecb, errorcb);
            bev2.setCallbacks(readcb, writecb, errorcb);
            bev1.disable(EV_READ);
            bev1.enable(EV_WRITE);
            bev2.enable(EV_READ);

            byte[] buffer = pattern(8333);
            // break it up into multiple buffer chains
            bev1.write(buffer, 0, 1800);
            bev1.write(buffer, 1800, buffer.length - 1800);
            // we are done writing - we need to flush everything
            assertTrue(bev1.flush(EV_WRITE, FlushMode.FINISHED) >= 0);

            dispatchBounded(base, 10_000);

            assertTrue(infilterCalls > 0);
            assertTrue(outfilterCalls > 0);
            assertEquals(1, readcbFinished);
            assertTrue(writecbFinished > 0);
            assertTrue(!errorcbInvoked);
            assertArrayEquals(buffer, received);
            assertTrue(compressedBytes > 0 && compressedBytes < 1000, "deflated to " + compressedBytes + " bytes");
        } finally {
            bev1.free();
            bev2.free();
            base.free();
        }
        assertTrue(deflaterEnded && inflaterEnded, "free() releases each filter's context");
        assertTrue(!pair[0].isOpen() && !pair[1].isOpen(), "CLOSE_ON_FREE through the stack closed the sockets");
    }
}
