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

    /** Length of the buffer when the changes reported here began. */
    public long origSize() {
        return origSize;
    }

    /** Bytes added since the callbacks last ran. */
    public long nAdded() {
        return nAdded;
    }

    /** Bytes removed since the callbacks last ran. */
    public long nDeleted() {
        return nDeleted;
    }

    @Override
    public String toString() {
        return "EvBufferCbInfo[origSize=" + origSize + ", nAdded=" + nAdded + ", nDeleted=" + nDeleted + "]";
    }
}
