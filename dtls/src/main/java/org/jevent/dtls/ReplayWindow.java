package org.jevent.dtls;

/**
 * RFC 6347 §4.1.2.6 anti-replay window for the application records of one epoch: the highest
 * authenticated sequence number and a 64-bit map of the ones below it. The JDK's DTLS engine has
 * none (its {@code DTLSInputRecord} only orders handshake messages; measured in
 * {@code BadInputTest}: a replayed application record is decrypted and delivered again), so
 * {@link JdkDtlsEngine} checks every application record here before unwrapping it, and marks it
 * only after the engine authenticated it, so a forged record cannot block the real one.
 *
 * <p>Invariant: bit i of {@code seen} is set iff sequence number {@code highest - i} of
 * {@code epoch} was marked; nothing is marked before the first {@link #mark}. A record of an
 * older epoch is refused, of a newer one accepted (the engine decides whether it authenticates).
 */
final class ReplayWindow {
    private static final int SIZE = 64;
    private int epoch = -1;
    private long highest = -1;
    private long seen;

    /**
     * @param recordEpoch the record's epoch
     * @param sequence its 48-bit sequence number
     * @return true if it must be dropped as a replay or as too old
     */
    boolean isReplay(int recordEpoch, long sequence) {
        if (recordEpoch != epoch) {
            return recordEpoch < epoch;
        }
        if (sequence > highest) {
            return false;
        }
        long behind = highest - sequence;
        return behind >= SIZE || (seen & (1L << behind)) != 0;
    }

    @Override
    public String toString() {
        return "ReplayWindow[epoch " + epoch + ", highest " + highest + ", seen " + Long.toBinaryString(seen) + "]";
    }

    /** Records an authenticated record. */
    void mark(int recordEpoch, long sequence) {
        if (recordEpoch > epoch) {
            epoch = recordEpoch;
            highest = sequence;
            seen = 1;
            return;
        }
        if (recordEpoch < epoch) {
            return;
        }
        if (sequence > highest) {
            long ahead = sequence - highest;
            seen = ahead >= SIZE ? 1 : (seen << ahead) | 1;
            highest = sequence;
        } else {
            long behind = highest - sequence;
            if (behind < SIZE) {
                seen |= 1L << behind;
            }
        }
    }
}
