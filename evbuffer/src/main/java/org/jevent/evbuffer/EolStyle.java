package org.jevent.evbuffer;

/** How {@link EvBuffer#readLine} and {@link EvBuffer#searchEol} recognise the end of a line. */
public enum EolStyle {
    /**
     * Any run of CR and LF characters, in any order and number, ends the line
     * ({@code EVBUFFER_EOL_ANY}). Ambiguous when a run is split across two reads.
     */
    ANY,
    /** A LF, optionally preceded by a CR ({@code EVBUFFER_EOL_CRLF}); a lone CR is data. */
    CRLF,
    /** Exactly CR LF ({@code EVBUFFER_EOL_CRLF_STRICT}); a lone CR or LF is data. */
    CRLF_STRICT,
    /** A single LF ({@code EVBUFFER_EOL_LF}). */
    LF,
    /** A single NUL byte ({@code EVBUFFER_EOL_NUL}). */
    NUL
}
