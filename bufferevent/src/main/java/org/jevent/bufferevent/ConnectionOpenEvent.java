package org.jevent.bufferevent;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * JFR {@code org.jevent.ConnectionOpen}: a socket bufferevent has a connected channel, because
 * its connect finished or because it was made over one (an accepted connection).
 */
@Name("org.jevent.ConnectionOpen")
@Label("Connection Open")
@Category({"jevent", "Connection"})
@Description("A socket bufferevent's connection is established: its connect finished, or it was made over an accepted channel")
@StackTrace(false)
final class ConnectionOpenEvent extends jdk.jfr.Event {
    @Label("Loop Thread")
    Thread loopThread;

    @Label("Bufferevent")
    @Description("The bufferevent as its log lines name it: class, identity, addresses")
    String bufferevent;

    @Label("Local Address")
    String local;

    @Label("Remote Address")
    String remote;

    @Label("Connect Time")
    @Description("From connect() to the connection being established; 0 for a channel that came connected")
    @Timespan(Timespan.NANOSECONDS)
    long connectTime;
}
