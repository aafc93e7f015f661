package org.jevent.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntSupplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import org.jevent.bufferevent.ssl.SelfSignedCertificate;
import org.jevent.bufferevent.ssl.SslContexts;
import org.jevent.bufferevent.ssl.SslProvider;
import org.jevent.eventbase.EvConnListener;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;
import org.slf4j.Logger;

/**
 * What the server examples (echo-server, le-proxy, pg-tls-proxy, hello-world, becat -l) add to
 * the C samples in the same way: the {@code listening on HOST:PORT} line that tests and scripts
 * wait for, SIGINT and SIGTERM as a clean stop, and the {@code --cert}/{@code --key}/{@code
 * --provider} TLS options. The ports of C samples keep their C functions where they are; only
 * these additions are here.
 */
final class ServerSupport {
    private ServerSupport() {
    }

    /** {@code listening on HOST:PORT}, the bound address (port 0: the port the kernel chose). */
    static String listeningOn(InetSocketAddress bound) {
        return "listening on " + bound.getAddress().getHostAddress() + ":" + bound.getPort();
    }

    /** Prints {@link #listeningOn} and flushes, so that whoever waits for it sees it at once. */
    static void printListening(PrintStream out, InetSocketAddress bound) {
        out.println(listeningOn(bound));
        out.flush();
    }

    /** {@link #printListening} for the listener's address, or {@code cannotRead} and the reason. */
    static void printListening(PrintStream out, EvConnListener listener, String cannotRead) {
        try {
            printListening(out, (InetSocketAddress) listener.getLocalAddress());
        } catch (IOException e) {
            out.println(cannotRead + e);
        }
    }

    /**
     * SIGINT and SIGTERM handled on one base: each calls {@code stop} with its name,
     * {@code SIGINT} or {@code SIGTERM}. Signals are process-wide, so one base takes them for all;
     * {@link #free()} them before that base is freed (which restores the JVM's handlers).
     */
    static final class StopSignals {
        private final Event sigint;
        private final Event sigterm;

        StopSignals(EventBase base, Consumer<String> stop) {
            sigint = Event.signal(base, "INT", (ev, what) -> stop.accept("SIGINT"));
            sigterm = Event.signal(base, "TERM", (ev, what) -> stop.accept("SIGTERM"));
            sigint.add();
            sigterm.add();
        }

        /**
         * The stop of a server on one base: logs {@code SIGINT: stopping, N connection(s) open}
         * ({@code open} counts them) and makes the loop exit; the server closes what is left.
         */
        static StopSignals exitLoop(EventBase base, Logger log, IntSupplier open) {
            return new StopSignals(base, signal -> {
                log.info("{}: stopping, {} connection(s) open", signal, open.getAsInt());
                base.loopExit();
            });
        }

        void free() {
            sigint.free();
            sigterm.free();
        }
    }

    /** {@code --provider conscrypt|jdk|tcnative} (default conscrypt); anything else is a usage error. */
    static SslProvider provider(Opts opts) {
        String p = opts.get("--provider", "conscrypt").toLowerCase(Locale.ROOT);
        return switch (p) {
            case "conscrypt" -> SslProvider.CONSCRYPT;
            case "jdk" -> SslProvider.JDK;
            case "tcnative" -> SslProvider.TCNATIVE;
            default -> throw new IllegalArgumentException("unknown provider '" + p + "' (conscrypt, jdk or tcnative)");
        };
    }

    /**
     * Lets go of an engine whose bufferevent could not be built: closing both directions of an
     * engine that never started its handshake frees its native state at once (Conscrypt holds a
     * pipe, two descriptors, per engine until then), instead of at the next garbage collection.
     */
    static void discard(SSLEngine engine) {
        engine.closeOutbound();
        try {
            engine.closeInbound();
        } catch (SSLException ignored) {
            // nothing was received; nothing to complain about
        }
    }

    /**
     * {@code build(engine)}, a TLS bufferevent over a fresh engine; if building throws, the engine
     * is {@linkplain #discard discarded} before the exception goes on.
     */
    static <T> T withEngine(SSLEngine engine, Function<SSLEngine, T> build) {
        try {
            return build.apply(engine);
        } catch (RuntimeException e) {
            discard(engine);
            throw e;
        }
    }

    /**
     * The server's TLS context: the certificate chain and PKCS#8 key of {@code --cert} and
     * {@code --key} (PEM), or without them a throw-away self-signed certificate; {@link #provider}.
     */
    static SslContexts serverContext(Opts opts) throws Exception {
        SslContexts.Builder b = opts.has("--cert")
                ? SslContexts.forServer(Path.of(opts.get("--cert", null)), Path.of(opts.get("--key", null)))
                : SslContexts.forServer(SelfSignedCertificate.generate());
        return b.provider(provider(opts)).build();
    }
}
