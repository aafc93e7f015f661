/**
 * {@code EvBuffer}: libevent's {@code evbuffer}, a byte queue of pooled direct-memory segments
 * that moves whole segments between buffers instead of copying bytes. It knows nothing of the
 * event loop; the bufferevent layer ties it to one.
 *
 * <p>The design in one paragraph: a buffer is a singly linked chain of {@link
 * org.jevent.evbuffer.Segment segments}, each a window {@code [pos, limit)} over memory cut from
 * slabs by a per-thread {@link org.jevent.evbuffer.SegmentPool}. Appends fill the last segment
 * and take new ones (4 KiB for short writes, 17 KiB — one TLS record — otherwise); moves between
 * buffers relink segments and fold only short ones into their new neighbour; sharing ({@code
 * addBufferReference}, splits of 1 KiB or more) makes memory read-only for every holder and
 * returns it to the pool when the last holder lets go.
 */
package org.jevent.evbuffer;
