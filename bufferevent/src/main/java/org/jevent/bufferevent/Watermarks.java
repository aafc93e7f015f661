package org.jevent.bufferevent;

import org.jevent.evbuffer.CallbackEntry;
import org.jevent.evbuffer.EvBuffer;

/**
 * The watermarks of one bufferevent ({@code bufferevent_setwatermark}), 0 meaning unset, and the
 * pause the read high watermark makes: reading is suspended ({@code SUSPEND_WM}) while the input
 * holds at least that many bytes, and resumes as soon as the user drains below it.
 *
 * <p>Invariant: {@code readHigh} is 0 or at least {@code readLow} (likewise for writing); while
 * {@code readHigh} is set the input carries one non-deferred callback that keeps
 * {@code SUSPEND_WM} in step with the input's length, and while it is unset neither the callback
 * nor the pause exists.
 */
final class Watermarks {
    private final Bufferevent bev;
    long readLow;
    long readHigh;
    long writeLow;
    long writeHigh;
    private CallbackEntry readHighEntry;

    Watermarks(Bufferevent bev) {
        this.bev = bev;
    }

    /** Sets low and high for each direction in {@code events}; a high below the low one is raised to it, as in libevent. */
    void set(int events, long low, long high) {
        if (low < 0 || high < 0) {
            throw new IllegalArgumentException("negative watermark: " + low + ", " + high);
        }
        if (high != 0 && high < low) {
            high = low;
        }
        if ((events & Bufferevent.EV_WRITE) != 0) {
            writeLow = low;
            writeHigh = high;
        }
        if ((events & Bufferevent.EV_READ) != 0) {
            readLow = low;
            readHigh = high;
            EvBuffer input = bev.input;
            if (high != 0) {
                if (readHighEntry == null) {
                    readHighEntry = input.addCallback((buf, info) -> checkReadHigh());
                    input.callbackSetFlags(readHighEntry, EvBuffer.EVBUFFER_CB_NODEFER);
                }
                checkReadHigh();
            } else {
                if (readHighEntry != null) {
                    input.removeCallbackEntry(readHighEntry);
                    readHighEntry = null;
                }
                bev.directions.unsuspendRead(Bufferevent.SUSPEND_WM);
            }
        }
    }

    private void checkReadHigh() {
        if (readHigh == 0) {
            return;
        }
        if (bev.input.getLength() >= readHigh) {
            bev.directions.suspendRead(Bufferevent.SUSPEND_WM);
        } else {
            bev.directions.unsuspendRead(Bufferevent.SUSPEND_WM);
        }
    }

    /** Exactly one of EV_READ or EV_WRITE, as libevent requires. */
    Bufferevent.Watermark get(int events) {
        if (events == Bufferevent.EV_READ) {
            return new Bufferevent.Watermark(readLow, readHigh);
        }
        if (events == Bufferevent.EV_WRITE) {
            return new Bufferevent.Watermark(writeLow, writeHigh);
        }
        throw new IllegalArgumentException("getWatermark takes exactly EV_READ or EV_WRITE: 0x" + Integer.toHexString(events));
    }

    /** Bytes the input may still take before the read high watermark; -1 when unlimited. */
    long readRoom() {
        if (readHigh == 0) {
            return -1;
        }
        return Math.max(0, readHigh - bev.input.getLength());
    }
}
