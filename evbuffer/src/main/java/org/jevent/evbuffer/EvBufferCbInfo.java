package org.jevent.evbuffer;

/**
 * What changed since a buffer's callbacks last ran: the twin of {@code struct evbuffer_cb_info}.
 * The object is reused; read it during the callback only.
 */
public final class EvBufferCbInfo {
    long origSize;
    long nAdded;
    long nDeleted;

    EvBufferCbInfo() {
    }

    /** {@return the length of the buffer when the changes reported here began} ({@code orig_size}) */
    public long origSize() {
        return origSize;
    }

    /** {@return the bytes added since the callbacks last ran} ({@code n_added}) */
    public long nAdded() {
        return nAdded;
    }

    /** {@return the bytes removed since the callbacks last ran} ({@code n_deleted}) */
    public long nDeleted() {
        return nDeleted;
    }

    @Override
    public String toString() {
        return "EvBufferCbInfo[origSize=" + origSize + ", nAdded=" + nAdded + ", nDeleted=" + nDeleted + "]";
    }
}
