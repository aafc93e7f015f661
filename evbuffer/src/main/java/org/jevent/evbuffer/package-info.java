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
 * addBufferReference}, splits of 1 KiB or more of pooled memory) makes memory read-only for every
 * holder and returns it to the pool when the last holder lets go.
 *
 * <p>The classes: {@code EvBuffer} is the public façade (argument checks, freezing, callbacks)
 * over a {@code SegmentChain} (the links and every operation on them); {@code Reservation} hands
 * out free space and commits it, for {@code commitSpace} and channel reads alike;
 * {@code ChannelTransfer} does scattering reads, gathering writes and file ranges;
 * {@code LineScanner} and {@code ByteScan} search; {@code CallbackList} keeps the callbacks;
 * {@code ChainInvariants} checks the chain's invariant for the tests. Only the façade knows the
 * façade.
 *
 * <h2>Memory</h2>
 * Each thread that uses buffers has its own pool, made when the thread first builds an
 * {@code EvBuffer}. The first small segment the thread takes allocates one off-heap slab of 64
 * × 4 KiB = 256 KiB, the first large one a slab of 64 × 17 KiB = 1,088 KiB; more slabs follow
 * as buffers need them. Segments that come back wait in the pool for reuse, up to a bound of
 * 16 MiB of free memory per thread. When a returning segment takes the pool over the bound, the
 * pool gives up whole slabs whose segments are all back until it is under the bound again, so
 * that after a burst (a client that writes and never reads, then closes) a thread goes back to
 * at most the bound plus what its buffers still hold. A slab one of whose segments is still in a
 * buffer stays. {@code SegmentPool.current().trim()} gives up every slab that is all back,
 * whatever the bound (for a thread done with buffers for a while); the rest goes with the
 * thread.
 *
 * <p>A slab is given up by dropping every reference to it, not by freeing it explicitly: a view
 * that a caller kept past its validity ({@code peek}, {@code pullup}) would otherwise read freed
 * memory and could crash the process. The garbage collector frees the memory at its next cycle,
 * and glibc then hands it back to the system. A JVM that allocates little on the heap may not
 * collect for a long time once a burst is over; with G1, {@code -XX:G1PeriodicGCInterval=}
 * (milliseconds) makes an idle JVM collect. Measured by {@code PoolBurstRss} (test sources): 200
 * MiB written round robin into 50 buffers and freed, VmRSS 248 MiB with the burst held, 64 MiB
 * after a collection (15.9 MiB of direct memory kept by the pool); before the pool gave slabs up,
 * 247 MiB after the same collection.
 *
 * <p>Tuning, by system properties read when {@code SegmentPool} loads:
 * {@code jevent.segmentPool.maxBytes} (the bound, bytes; default 16777216; 0 keeps nothing free,
 * and any bound under one slab makes a thread that holds one message at a time allocate a slab
 * per message) and {@code jevent.segmentPool.slabSegments} (segments per slab, 1 to 4096;
 * default 64: fewer means a smaller first slab per thread and more allocations under load).
 */
package org.jevent.evbuffer;
