package org.jevent.benchmarks.dtls;

import java.nio.file.Path;
import java.security.KeyStore;
import org.jevent.benchmarks.echo.EchoServer;
import org.jevent.bufferevent.ssl.SslContexts;
import org.jevent.dtls.BcPskDtls;
import org.jevent.dtls.JdkDtls;

/**
 * One DTLS (or plain UDP) echo server in its own process, so that its CPU time, heap and RSS are
 * read apart from the load client's: {@code DtlsEchoServer SERVER P12}, where SERVER is one of
 * {@link DtlsServers#ALL} and P12 the run's certificate ({@link Credentials#write()}). It speaks
 * the load runs' line protocol ({@link EchoServer#serve}): {@code conns} answers the sessions
 * the server holds.
 */
public final class DtlsEchoServer {
    private DtlsEchoServer() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: DtlsEchoServer " + String.join("|", DtlsServers.ALL) + " P12");
            System.exit(2);
        }
        KeyStore ks = Credentials.load(Path.of(args[1]));
        EchoServer.Impl impl = switch (args[0]) {
            case DtlsServers.JEVENT_CERT -> new JeventDtlsEchoServer(JdkDtls.server(
                    SslContexts.forServer(Credentials.key(ks), Credentials.certificate(ks)).dtls().build()));
            case DtlsServers.JEVENT_PSK -> new JeventDtlsEchoServer(BcPskDtls.server().build());
            case DtlsServers.SCANDIUM_CERT -> ScandiumEchoServer.certificate(Credentials.key(ks), Credentials.certificate(ks));
            case DtlsServers.SCANDIUM_PSK -> ScandiumEchoServer.psk();
            case DtlsServers.UDP -> new UdpEchoServer();
            default -> throw new IllegalArgumentException("unknown server " + args[0]);
        };
        EchoServer.serve(impl);
    }
}
