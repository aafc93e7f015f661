package org.jevent.evbuffer;

/** How {@link EvBuffer#ptrSet} moves a position: the twin of {@code enum evbuffer_ptr_how}. */
public enum PtrHow {
    /** Set the position to the given offset from the start ({@code EVBUFFER_PTR_SET}). */
    SET,
    /** Advance the position by the given count ({@code EVBUFFER_PTR_ADD}). */
    ADD
}
