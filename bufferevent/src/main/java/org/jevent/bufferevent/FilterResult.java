package org.jevent.bufferevent;

/** What a {@link BuffereventFilter} did: libevent's {@code enum bufferevent_filter_result}. */
public enum FilterResult {
    /** {@code BEV_OK}: some output was produced (or nothing was needed). */
    OK,
    /** {@code BEV_NEED_MORE}: no output can be made until more input arrives. */
    NEED_MORE,
    /** {@code BEV_ERROR}: the input is unusable; the bufferevent reports an ERROR event. */
    ERROR
}
