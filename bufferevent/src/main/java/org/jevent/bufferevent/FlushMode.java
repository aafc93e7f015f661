package org.jevent.bufferevent;

/** libevent's {@code enum bufferevent_flush_mode}. */
public enum FlushMode {
    /** {@code BEV_NORMAL}: move data as usual, respecting watermarks. */
    NORMAL,
    /** {@code BEV_FLUSH}: push out everything that can be, ignoring watermarks. */
    FLUSH,
    /** {@code BEV_FINISHED}: push out everything and signal that no more data will come. */
    FINISHED
}
