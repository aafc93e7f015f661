package org.jevent.bufferevent;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * JFR {@code org.jevent.ConnectionClose}: a bufferevent was freed; its bytes, its lifetime and
 * why it ended. One per bufferevent of every variant (a TLS socket bufferevent's hidden socket
 * included, with the ciphertext counts), so that a stack shows each layer's view.
 */
@Name("org.jevent.ConnectionClose")
@Label("Connection Close")
@Category({"jevent", "Connection"})
@Description("A bufferevent was freed: bytes read and written through it, its lifetime and why it ended")
@StackTrace(false)
final class ConnectionCloseEvent extends jdk.jfr.Event {
    @Label("Loop Thread")
    Thread loopThread;

    @Label("Bufferevent")
    @Description("The bufferevent as its log lines name it: class, identity, addresses, the layers below")
    String bufferevent;

    @Label("Kind")
    @Description("SocketBufferevent, PairBufferevent, FilterBufferevent, SslBufferevent, ...")
    String kind;

    @Label("Bytes Read")
    @Description("Bytes that arrived in its input (a TLS bufferevent: plaintext)")
    @DataAmount
    long bytesRead;

    @Label("Bytes Written")
    @Description("Bytes that left its output (a TLS bufferevent: plaintext)")
    @DataAmount
    long bytesWritten;

    @Label("Lifetime")
    @Timespan(Timespan.NANOSECONDS)
    long lifetime;

    @Label("End Reason")
    @Description("Bufferevent.getEndReason(): EOF, CLEAN_CLOSE_NOTIFY, TRUNCATED, RESET, FREED_LOCALLY, ...")
    String endReason;

    @Label("Last Error")
    @Description("The error behind the last ERROR event, if any")
    String lastError;
}
