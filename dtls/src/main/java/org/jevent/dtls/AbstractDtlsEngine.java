package org.jevent.dtls;

/**
 * What every {@link DtlsEngine} keeps the same way: its status, the error that failed it, the
 * largest message it sends, and the counts of dropped records. Loop thread only.
 */
abstract class AbstractDtlsEngine implements DtlsEngine {
    protected final Listener listener;
    protected Status status = Status.HANDSHAKING;
    protected Throwable failure;
    protected int maxPlaintext;
    protected long replaysDropped;
    protected long unauthenticatedDropped;

    AbstractDtlsEngine(Listener listener) {
        this.listener = listener;
    }

    @Override
    public final Status status() {
        return status;
    }

    @Override
    public final Throwable failure() {
        return failure;
    }

    @Override
    public final int maxPlaintext() {
        return maxPlaintext;
    }

    @Override
    public final long replaysDropped() {
        return replaysDropped;
    }

    @Override
    public final long unauthenticatedDropped() {
        return unauthenticatedDropped;
    }

    /** True once closed, freed or failed: nothing more goes in or out. */
    protected final boolean isOver() {
        return status == Status.CLOSED || status == Status.FAILED;
    }

    /** Refuses a message that would not fit one datagram, with the session's limit in the message. */
    protected final void checkFits(int length) {
        if (length > maxPlaintext) {
            throw new IllegalArgumentException("message of " + length
                    + " bytes does not fit one datagram; the limit for this session is " + maxPlaintext
                    + " (the maximum datagram size minus the record's protection)");
        }
    }
}
