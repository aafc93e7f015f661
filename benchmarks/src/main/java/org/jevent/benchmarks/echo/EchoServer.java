package org.jevent.benchmarks.echo;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jevent.bufferevent.ssl.SslBufferevent;
import org.jevent.bufferevent.ssl.SslContexts;
import org.jevent.bufferevent.ssl.SslProvider;

/**
 * One echo server in its own process, so that its CPU time, heap and RSS can be read apart from
 * the load generator's: {@code EchoServer jevent|netty|nio}. Prints {@code listening on
 * 127.0.0.1:PORT}, then answers commands on standard input: {@code cpu} prints the process's
 * CPU time in nanoseconds, {@code conns} the open connections, {@code mem} prints
 * {@code heap=N rss=N} (bytes: heap used after two full GCs, then VmRSS), {@code quit} exits.
 *
 * <p>TLS servers: {@code jevent-tls-conscrypt} and {@code jevent-tls-jdk} ({@link SslBufferevent}
 * over an engine from {@link SslContexts}); {@code netty-tls-jdk} (Netty's own JDK
 * {@code SslContext}); {@code netty-tls-conscrypt} (Netty's own Conscrypt path, the same-provider
 * peer; see {@link #nettyConscrypt}); {@code netty-tls-conscrypt-bare} (Netty's
 * {@code SslHandler} over the very engine {@code jevent-tls-conscrypt} gets from
 * {@link SslContexts}; stalls on 64 KiB messages);
 * {@code netty-tls-openssl} (Netty's {@code SslHandler} on netty-tcnative BoringSSL, Netty's
 * fastest TLS; Linux x86-64 only, the one native build the benchmarks depend on);
 * {@code jevent-tls-tcnative} ({@link SslBufferevent} over netty-tcnative's BoringSSL
 * {@code SSLEngine}, without Netty's pipeline). A Netty server's name may end in {@code :N}:
 * N worker threads (default 1).
 */
public final class EchoServer {
    /** What every server implementation offers the driver. */
    public interface Impl {
        /** Starts serving on 127.0.0.1, port 0; returns the port. */
        int start() throws Exception;

        /** Connections currently open. */
        int connections();

        void stop() throws Exception;
    }

    private EchoServer() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1 && args.length != 3) {
            System.err.println("usage: EchoServer jevent|netty[:N]|nio");
            System.err.println("       EchoServer jevent-tls-conscrypt|jevent-tls-jdk|jevent-tls-tcnative|netty-tls-jdk"
                    + "|netty-tls-conscrypt|netty-tls-openssl[:N] CERT_PEM KEY_PEM");
            System.exit(2);
        }
        int loops = Servers.loops(args[0]); // netty:N, N worker threads
        if (loops != 1 && !args[0].startsWith("netty")) {
            throw new IllegalArgumentException("only the Netty servers take a loop count: " + args[0]);
        }
        Impl impl = switch (Servers.base(args[0])) {
            case "jevent" -> new JeventEchoServer(null);
            case "netty" -> new NettyEchoServer(null, loops);
            case "nio" -> new NioEchoServer();
            case "jevent-tls-conscrypt" -> new JeventEchoServer(
                    SslContexts.forServer(Path.of(args[1]), Path.of(args[2])).provider(SslProvider.CONSCRYPT)
                            .build()::newServerEngine);
            case "jevent-tls-jdk" -> new JeventEchoServer(
                    SslContexts.forServer(Path.of(args[1]), Path.of(args[2])).provider(SslProvider.JDK)
                            .build()::newServerEngine);
            case "jevent-tls-tcnative" -> jeventTcnative(args);
            case "netty-tls-jdk" -> nettyTls(args, io.netty.handler.ssl.SslProvider.JDK, loops);
            case "netty-tls-openssl" -> nettyTls(args, io.netty.handler.ssl.SslProvider.OPENSSL, loops);
            case "netty-tls-conscrypt" -> nettyConscrypt(args, loops);
            case "netty-tls-conscrypt-bare" -> {
                SslContexts contexts = SslContexts.forServer(Path.of(args[1]), Path.of(args[2]))
                        .provider(SslProvider.CONSCRYPT).build();
                yield new NettyEchoServer(ch -> new io.netty.handler.ssl.SslHandler(contexts.newServerEngine()), loops);
            }
            default -> throw new IllegalArgumentException("unknown server " + args[0]);
        };
        serve(impl);
    }

    /**
     * Starts {@code impl}, prints {@code listening on 127.0.0.1:PORT}, answers the driver's
     * commands on standard input ({@code cpu}, {@code conns}, {@code mem}, {@code quit}) until
     * {@code quit} or the end of input, then stops it and exits the JVM. Every server process of
     * the load runs (TCP here, DTLS in {@code org.jevent.benchmarks.dtls}) speaks this protocol.
     *
     * @param impl the server
     * @throws Exception if it cannot start or stop
     */
    public static void serve(Impl impl) throws Exception {
        int port = impl.start();
        System.out.println("listening on 127.0.0.1:" + port);
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.equals("cpu")) {
                System.out.println(processCpuNanos());
                System.out.flush();
            } else if (line.equals("conns")) {
                System.out.println(impl.connections());
                System.out.flush();
            } else if (line.equals("mem")) {
                System.out.println(memory());
                System.out.flush();
            } else if (line.equals("quit")) {
                break;
            }
        }
        impl.stop();
        System.exit(0);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /**
     * jevent's {@link SslBufferevent} over netty-tcnative's BoringSSL engine, used as a bare
     * {@code SSLEngine} (no Netty pipeline): what another engine binding could give jevent
     * (issue 14). The library knows these engines as {@code SslProvider.TCNATIVE} (direct
     * buffers); the example's {@code --provider tcnative} builds the same through SslContexts.
     * {@code SslProvider.OPENSSL} engines free their native SSL when both directions are closed,
     * which the TLS bufferevent does on free, or else by finalization.
     */
    private static Impl jeventTcnative(String[] args) throws Exception {
        io.netty.handler.ssl.SslContext ctx = io.netty.handler.ssl.SslContextBuilder
                .forServer(Path.of(args[1]).toFile(), Path.of(args[2]).toFile())
                .sslProvider(io.netty.handler.ssl.SslProvider.OPENSSL).build();
        return new JeventEchoServer(() -> ctx.newEngine(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT));
    }

    /** Netty's own {@code SslContext} for {@code provider}, one handler per connection. */
    private static Impl nettyTls(String[] args, io.netty.handler.ssl.SslProvider provider, int loops) throws Exception {
        io.netty.handler.ssl.SslContext ctx = io.netty.handler.ssl.SslContextBuilder
                .forServer(Path.of(args[1]).toFile(), Path.of(args[2]).toFile()).sslProvider(provider).build();
        return new NettyEchoServer(ch -> ctx.newHandler(ch.alloc()), loops);
    }

    /**
     * Netty's own Conscrypt path: a JDK-style {@code SslContext} on the Conscrypt provider, with
     * ALPN configured because only then does Netty wrap the engine ({@code ConscryptAlpnSslEngine})
     * and drive it as Conscrypt ({@code SslHandler.SslEngineType.CONSCRYPT}: direct buffers,
     * gathering unwrap). A bare Conscrypt engine is driven as a JDK one, and that path stops
     * moving data with 64 KiB messages ({@code netty-tls-conscrypt-bare}: 0 MB/s, the loop
     * spinning at 100% CPU). The load client sends no ALPN; the server then goes on without it.
     */
    private static Impl nettyConscrypt(String[] args, int loops) throws Exception {
        io.netty.handler.ssl.SslContext ctx = io.netty.handler.ssl.SslContextBuilder
                .forServer(Path.of(args[1]).toFile(), Path.of(args[2]).toFile())
                .sslProvider(io.netty.handler.ssl.SslProvider.JDK)
                .sslContextProvider(org.conscrypt.Conscrypt.newProvider())
                .applicationProtocolConfig(new io.netty.handler.ssl.ApplicationProtocolConfig(
                        io.netty.handler.ssl.ApplicationProtocolConfig.Protocol.ALPN,
                        io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        "http/1.1"))
                .build();
        return new NettyEchoServer(ch -> ctx.newHandler(ch.alloc()), loops);
    }

    /**
     * Heap used after two full collections (the second one also frees what the first one's
     * finalisation and reference processing released, e.g. engines freed by a cleaner), then the
     * resident set from {@code /proc/self/status}. A loop thread may allocate in between; the
     * driver takes the median of three readings.
     */
    private static String memory() throws Exception {
        System.gc();
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long rss = 0;
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmRSS:")) {
                rss = Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return "heap=" + heap + " rss=" + rss;
    }
}
