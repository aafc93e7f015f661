package org.jevent.bufferevent;

import org.jevent.evbuffer.EvBuffer;

/**
 * libevent's {@code bufferevent_filter_cb}: turns bytes from {@code src} into bytes in
 * {@code dst}. The C {@code ctx} is whatever the implementation holds; a filter that needs to
 * release something when the bufferevent is freed implements {@link #free()}.
 */
@FunctionalInterface
public interface BuffereventFilter {
    /**
     * Moves bytes from {@code src} to {@code dst}, transformed, on the loop thread.
     *
     * @param src bytes to filter; consume what was used
     * @param dst where the result goes
     * @param dstLimit how many bytes {@code dst} should receive at most, -1 for no limit; only
     *     binding in {@link FlushMode#NORMAL}
     * @param mode NORMAL for ordinary data, FLUSH to push out what is buffered inside the filter,
     *     FINISHED when no more input will come
     * @return {@link FilterResult#OK} when output was produced or none was needed,
     *     {@link FilterResult#NEED_MORE} when more input is needed first,
     *     {@link FilterResult#ERROR} when the input is unusable (the bufferevent then reports an
     *     ERROR event); null counts as ERROR
     */
    FilterResult filter(EvBuffer src, EvBuffer dst, long dstLimit, FlushMode mode);

    /** Called once when the filtering bufferevent is freed (libevent's {@code free_context}). */
    default void free() {
    }
}
