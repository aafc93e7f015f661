package org.jevent.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.eventbase.EvConnListener;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;
import org.jevent.evbuffer.EvBuffer;

/**
 * Port of libevent's {@code sample/hello-world.c}
 * (https://github.com/libevent/libevent/blob/master/sample/hello-world.c): a listener that writes
 * "Hello, World!" to every client and closes the connection once the answer is flushed; SIGINT
 * makes the loop exit cleanly two seconds later.
 *
 * <p>The functions keep the C names and order: {@code main}, {@code listener_cb},
 * {@code conn_writecb}, {@code conn_eventcb}, {@code signal_cb}. Additions to the C program:
 * {@code --port} (C hard-codes 9995, kept as the default; 0 picks a free port), {@code --host}
 * (C binds INADDR_ANY, kept as the default) and the {@code listening on HOST:PORT} line.
 */
final class HelloWorld {
    static final String SUMMARY = "port of sample/hello-world.c: says Hello, World! to each client";
    private static final String USAGE = String.join("\n",
            "usage: hello-world [--host H] [--port P]",
            "  --host H   address to listen on (default 0.0.0.0, as the C sample)",
            "  --port P   port to listen on (default 9995; 0 picks a free one)",
            "Writes \"Hello, World!\" to each client and closes it; SIGINT exits two seconds later.");

    /** {@code static const char MESSAGE[]}. */
    private static final byte[] MESSAGE = "Hello, World!\n".getBytes(StandardCharsets.US_ASCII);
    /** {@code static const unsigned short PORT}. */
    private static final int PORT = 9995;

    private final PrintStream out;

    private HelloWorld(PrintStream out) {
        this.out = out;
    }

    static int run(String[] args, PrintStream out) {
        return Opts.runExample("hello-world", USAGE, args, out, o -> o.value("--host", "--port"),
                o -> o.getInt("--port", PORT),
                o -> new HelloWorld(out).main(o.get("--host", "0.0.0.0"), o.getInt("--port", PORT)));
    }

    /** C {@code main}. */
    private int main(String host, int port) {
        EventBase base;
        EvConnListener listener;
        Event signalEvent;

        base = new EventBase();

        // sin.sin_family = AF_INET; sin.sin_port = htons(PORT);
        InetSocketAddress sin = new InetSocketAddress(host, port);

        try {
            listener = EvConnListener.newBind(base, (lev, fd, sa) -> listenerCb(lev, fd, base),
                    EvConnListener.LEV_OPT_REUSEABLE | EvConnListener.LEV_OPT_CLOSE_ON_FREE, -1, sin);
        } catch (IOException | RuntimeException e) {
            out.println("Could not create a listener! " + e);
            base.free();
            return 1;
        }

        signalEvent = Event.signal(base, "INT", (ev, what) -> signalCb(base));
        try {
            signalEvent.add();
        } catch (RuntimeException e) {
            out.println("Could not create/add a signal event! " + e);
            listener.free();
            base.free();
            return 1;
        }

        // Not in C: the address bound, for port 0.
        ServerSupport.printListening(out, listener, "Could not read the bound address: ");

        base.dispatch();

        listener.free();
        signalEvent.free();
        base.free();

        out.println("done");
        out.flush();
        return 0;
    }

    /** C {@code listener_cb}: a bufferevent for the new connection, which only writes. */
    private void listenerCb(EvConnListener listener, SocketChannel fd, EventBase base) {
        Bufferevent bev;
        try {
            bev = Bufferevent.socket(base, fd, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
        } catch (RuntimeException e) {
            out.println("Error constructing bufferevent! " + e);
            base.loopBreak();
            return;
        }
        bev.setCallbacks(null, this::connWritecb, this::connEventcb);
        bev.enable(Bufferevent.EV_WRITE);
        bev.disable(Bufferevent.EV_READ);

        bev.write(MESSAGE);
    }

    /** C {@code conn_writecb}: the answer has left once the output is empty. */
    private void connWritecb(Bufferevent bev) {
        EvBuffer output = bev.getOutput();
        if (output.getLength() == 0) {
            out.println("flushed answer");
            out.flush();
            bev.free();
        }
    }

    /** C {@code conn_eventcb}. */
    private void connEventcb(Bufferevent bev, int events) {
        if ((events & Bufferevent.BEV_EVENT_EOF) != 0) {
            out.println("Connection closed.");
        } else if ((events & Bufferevent.BEV_EVENT_ERROR) != 0) {
            out.println("Got an error on the connection: " + bev.getLastError());
        }
        // None of the other events can happen here, since we haven't enabled timeouts.
        bev.free();
    }

    /** C {@code signal_cb}. */
    private void signalCb(EventBase base) {
        out.println("Caught an interrupt signal; exiting cleanly in two seconds.");
        out.flush();
        base.loopExit(Duration.ofSeconds(2));
    }
}
