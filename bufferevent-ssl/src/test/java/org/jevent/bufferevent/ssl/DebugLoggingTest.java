package org.jevent.bufferevent.ssl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * porting.md's {@code event_enable_debug_logging} is SLF4J at DEBUG (TRACE for per-read detail):
 * a child JVM runs {@link DebugLoggingMain} with {@code org.jevent} at TRACE, and the lines a
 * person debugging a connection needs are all there: the connect and its failure with the cause,
 * the handshake's start and finish with protocol, suite, duration and resumption, the records and
 * reads at TRACE, the close_notify both ways, the events that end it, and the frees. (In this
 * JVM logging stays at its default, INFO: the other tests run with it off.)
 */
@Timeout(60)
class DebugLoggingTest {
    @Test
    void debugAndTraceLinesCoverAConnectionsLife() throws Exception {
        ChildJvm.Result child = ChildJvm.run(DebugLoggingMain.class, 30,
                "-Dorg.slf4j.simpleLogger.log.org.jevent=trace",
                "-Dorg.slf4j.simpleLogger.logFile=System.out");
        String out = child.output();
        assertEquals(0, child.exit(), out);
        for (String expected : List.of(
                "DEBUG org.jevent.bufferevent.SocketBufferevent - SocketBufferevent@\\S+ \\[no channel\\]: connecting to /127.0.0.1:\\d+",
                "SocketBufferevent - .*connect to /127.0.0.1:\\d+ failed after \\d+ us: java.net.ConnectException",
                "DEBUG org.jevent.bufferevent.Bufferevent - SocketBufferevent@\\S+ .*: event ERROR, end reason REFUSED: java.net.ConnectException",
                "SocketBufferevent - .*connected in \\d+ us",
                "SslBufferevent - TLS client SslBufferevent@\\S+ over SocketBufferevent@\\S+ \\[/127.0.0.1:\\d+ -> /127.0.0.1:\\d+\\]:"
                        + " TLS handshake started \\(initial, client, peer localhost:\\d+\\)",
                "SslBufferevent - TLS server .*: TLS handshake started \\(initial, server, peer unknown\\)",
                "SslBufferevent - TLS client .*: TLS handshake finished in \\d+ us \\(initial\\): TLSv1.3 TLS_\\w+, new session,"
                        + " peer localhost:\\d+",
                "Bufferevent - TLS client .*: event CONNECTED",
                "TRACE org.jevent.bufferevent.ssl.TlsPump - TLS client .*: wrap: 6 plaintext bytes into \\d+, OK",
                "TRACE org.jevent.bufferevent.ssl.TlsPump - TLS server .*: unwrap of a \\d+ byte record: \\d+ consumed, 6 plaintext bytes",
                "TRACE org.jevent.bufferevent.SocketBufferevent - .*: read \\d+ bytes \\(asked \\d+\\), input \\d+",
                "TRACE org.jevent.bufferevent.SocketBufferevent - .*: wrote \\d+ bytes \\(allowed \\d+\\), 0 left",
                "SecureClose - TLS client .*: shutdown: close_notify once the output is written, waiting up to PT2S",
                "SecureClose - TLS client .*: sending close_notify",
                "SecureClose - TLS server .*: close_notify received, answering with ours",
                "Bufferevent - TLS server .*: event EOF\\|READING, end reason CLEAN_CLOSE_NOTIFY",
                "SecureClose - TLS client .*: shutdown done, close_notify exchanged",
                "Bufferevent - TLS client .*: event EOF, end reason SHUTDOWN",
                "SocketBufferevent - .*: closing the channel",
                "Bufferevent - TLS client .*: freed, 0 bytes unread, 0 bytes not yet written dropped")) {
            assertTrue(Pattern.compile(expected).matcher(out).find(), "no line matching \"" + expected + "\" in:\n" + out);
        }
    }
}
