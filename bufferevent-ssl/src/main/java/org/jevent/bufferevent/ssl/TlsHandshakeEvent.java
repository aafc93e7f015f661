package org.jevent.bufferevent.ssl;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * JFR {@code org.jevent.TlsHandshake}: a TLS handshake of an {@link SslBufferevent} finished or
 * failed (the first one, a renegotiation we asked for, or one the peer started); committed at its
 * end, with how long it took.
 */
@Name("org.jevent.TlsHandshake")
@Label("TLS Handshake")
@Category({"jevent", "TLS"})
@Description("A TLS handshake of a bufferevent finished or failed: protocol, cipher suite, duration, resumption")
@StackTrace(false)
final class TlsHandshakeEvent extends jdk.jfr.Event {
    @Label("Loop Thread")
    Thread loopThread;

    @Label("Bufferevent")
    @Description("The TLS bufferevent as its log lines name it, with the transport below it")
    String bufferevent;

    @Label("Role")
    @Description("client or server")
    String role;

    @Label("Started By")
    @Description("initial (the first handshake), local (renegotiate) or peer")
    String startedBy;

    @Label("Peer")
    @Description("The peer host and port the client engine was made for; unknown on a server")
    String peer;

    @Label("Protocol")
    String protocol;

    @Label("Cipher Suite")
    String cipherSuite;

    @Label("Handshake Time")
    @Description("From the handshake's start to its end")
    @Timespan(Timespan.NANOSECONDS)
    long handshakeTime;

    @Label("Resumed")
    @Description("The session existed before this handshake (JDK: ms clock; Conscrypt: older than a second)")
    boolean resumed;

    @Label("Failure")
    @Description("Why the handshake failed; absent when it finished")
    String failure;
}
