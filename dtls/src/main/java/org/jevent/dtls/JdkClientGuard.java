package org.jevent.dtls;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * What a JDK DTLS client needs kept from it during its handshake: two flaws of the JDK client
 * (JDK 17), both measured through a lossy relay, each failing the handshake for good.
 *
 * <p>Stale flights. A copy of a server flight the client has already answered (the server's
 * retransmission crossing the client's next flight, or a duplicate of the network) makes the JDK
 * client fail with "Unexpected handshake message: server_hello_done" instead of ignoring it
 * (RFC 6347 §4.2.4). So once the client sent a flight in answer to the server's messages up to
 * message_seq N, a datagram of nothing but epoch-0 handshake records at or below N is dropped.
 *
 * <p>Lost ticket. When the server announced a NewSessionTicket
 * (an empty session_ticket extension in its ServerHello) and that message is lost, the JDK
 * client still takes the server's ChangeCipherSpec and Finished that follow it, computes the
 * Finished over a transcript without the ticket and fails the handshake for good ("The Finished
 * message cannot be verified"; measured: about one handshake in a hundred through a relay that
 * drops 8 % of datagrams). RFC 6347 §4.2.2 asks a receiver to buffer a message that arrives
 * before the ones it follows; the JDK does not for this optional message.
 *
 * <p>So, for a JDK client during its handshake only: a datagram holding a ChangeCipherSpec or
 * a record of a later epoch is held back while a ticket was announced and has not arrived; it
 * goes to the engine, in order, right after the ticket. If the ticket was lost, the client's
 * retransmission timer resends its final flight, the server answers with its whole final flight
 * again, and the held datagrams follow the ticket (or their copies do). Nothing is held when the
 * server announced no ticket (openssl with -no_ticket, Scandium).
 *
 * <p>Invariant: {@code held} is empty unless a ticket is announced and not yet arrived; it
 * holds at most {@link #MAX_HELD} copies, oldest first. {@code answeredSeq <= highestSeq}.
 * Loop thread only.
 */
final class JdkClientGuard {
    static final int MAX_HELD = 4;
    private static final int SERVER_HELLO = 2;
    private static final int NEW_SESSION_TICKET = 4;
    private static final int EXT_SESSION_TICKET = 35;
    private static final int HANDSHAKE_HEADER = 12;

    private boolean ticketAnnounced;
    private boolean ticketArrived;
    /** Highest message_seq of the server's epoch-0 handshake records given to the engine. */
    private int highestSeq = -1;
    /** The client answered the server's messages up to this message_seq. */
    private int answeredSeq = -1;
    private long staleDropped;
    private final ArrayDeque<ByteBuffer> held = new ArrayDeque<>(2);

    /**
     * Looks at one datagram on its way to the engine.
     *
     * @param datagram position..limit, unchanged
     * @return true if it may go to the engine now; false if it was dropped as stale or a copy
     *     was kept for later
     */
    boolean admit(ByteBuffer datagram) {
        boolean needsTicketFirst = false;
        boolean allStale = true;
        int seqIn = -1;
        int end = datagram.limit();
        for (int p = datagram.position(), next; p < end && (next = DtlsRecords.next(datagram, p, end)) > 0; p = next) {
            int type = DtlsRecords.type(datagram, p);
            if (DtlsRecords.epoch(datagram, p) != 0 || type == DtlsRecords.CHANGE_CIPHER_SPEC) {
                needsTicketFirst = true;
                allStale = false;
            } else if (type == DtlsRecords.HANDSHAKE && next - p >= DtlsRecords.HEADER + HANDSHAKE_HEADER) {
                int hs = p + DtlsRecords.HEADER;
                int msgType = datagram.get(hs) & 0xFF;
                int seq = u16(datagram, hs + 4);
                seqIn = Math.max(seqIn, seq);
                if (seq > answeredSeq) {
                    allStale = false;
                }
                if (msgType == NEW_SESSION_TICKET) {
                    ticketArrived = true;
                } else if (msgType == SERVER_HELLO && announcesTicket(datagram, hs, next)) {
                    ticketAnnounced = true;
                }
            } else {
                allStale = false;
            }
        }
        if (allStale && seqIn >= 0) {
            staleDropped++;
            return false;
        }
        highestSeq = Math.max(highestSeq, seqIn);
        if (needsTicketFirst && ticketAnnounced && !ticketArrived) {
            if (held.size() == MAX_HELD) {
                held.pollFirst();
            }
            ByteBuffer copy = ByteBuffer.allocate(datagram.remaining());
            copy.put(datagram.duplicate()).flip();
            held.addLast(copy);
            return false;
        }
        return true;
    }

    /** The client sent a flight in answer to what it received: everything up to now is answered. */
    void answered() {
        answeredSeq = highestSeq;
    }

    /** @return datagrams dropped as copies of flights already answered */
    long staleDropped() {
        return staleDropped;
    }

    /** @return the next datagram to give the engine now that the ticket arrived, or null */
    ByteBuffer release() {
        return ticketArrived ? held.pollFirst() : null;
    }

    /** @return datagrams held so far (for tests) */
    int heldCount() {
        return held.size();
    }

    /** An unfragmented ServerHello whose extensions hold session_ticket. */
    private static boolean announcesTicket(ByteBuffer d, int hs, int end) {
        int length = u24(d, hs + 1);
        if (u24(d, hs + 6) != 0 || u24(d, hs + 9) != length) {
            return false; // a fragment: too small an MTU to matter here; no hold
        }
        int p = hs + HANDSHAKE_HEADER + 2 + 32; // server_version, random
        int bodyEnd = Math.min(end, hs + HANDSHAKE_HEADER + length);
        if (p >= bodyEnd) {
            return false;
        }
        p += 1 + (d.get(p) & 0xFF) + 2 + 1; // session_id, cipher_suite, compression_method
        if (p + 2 > bodyEnd) {
            return false;
        }
        int extEnd = Math.min(bodyEnd, p + 2 + u16(d, p));
        for (p += 2; p + 4 <= extEnd; p += 4 + u16(d, p + 2)) {
            if (u16(d, p) == EXT_SESSION_TICKET) {
                return true;
            }
        }
        return false;
    }

    private static int u16(ByteBuffer d, int at) {
        return ((d.get(at) & 0xFF) << 8) | (d.get(at + 1) & 0xFF);
    }

    private static int u24(ByteBuffer d, int at) {
        return ((d.get(at) & 0xFF) << 16) | u16(d, at + 1);
    }
}
