package org.jevent.benchmarks.echo;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jevent.bufferevent.ssl.SslContexts;

/**
 * One echo server in its own process, so that its CPU time, heap and RSS can be read apart from
 * the load generator's: {@code EchoServer jevent|netty|nio}. Prints {@code listening on
 * 127.0.0.1:PORT}, then answers commands on standard input: {@code cpu} prints the process's
 * CPU time in nanoseconds, {@code conns} the open connections, {@code stats} prints
 * {@code cpu_ns=N heap=N rss=N conns=N} (heap after a full GC, bytes), {@code quit} exits.
 */
public final class EchoServer {
    /** What every server implementation offers the driver. */
    interface Impl {
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
            System.err.println("usage: EchoServer jevent|netty|nio");
            System.err.println("       EchoServer jevent-tls-conscrypt|jevent-tls-jdk|netty-tls-jdk CERT_PEM KEY_PEM");
            System.exit(2);
        }
        Impl impl = switch (args[0]) {
            case "jevent" -> new JeventEchoServer(null);
            case "netty" -> new NettyEchoServer(null);
            case "nio" -> new NioEchoServer();
            case "jevent-tls-conscrypt" -> new JeventEchoServer(
                    SslContexts.forServer(Path.of(args[1]), Path.of(args[2])).provider(SslContexts.Provider.CONSCRYPT).build());
            case "jevent-tls-jdk" -> new JeventEchoServer(
                    SslContexts.forServer(Path.of(args[1]), Path.of(args[2])).provider(SslContexts.Provider.JDK).build());
            case "netty-tls-jdk" -> new NettyEchoServer(io.netty.handler.ssl.SslContextBuilder
                    .forServer(Path.of(args[1]).toFile(), Path.of(args[2]).toFile())
                    .sslProvider(io.netty.handler.ssl.SslProvider.JDK).build());
            default -> throw new IllegalArgumentException("unknown server " + args[0]);
        };
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
            } else if (line.equals("stats")) {
                System.out.println(stats(impl));
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

    private static String stats(Impl impl) throws Exception {
        long cpu = processCpuNanos();
        System.gc();
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long rss = 0;
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmRSS:")) {
                rss = Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return "cpu_ns=" + cpu + " heap=" + heap + " rss=" + rss + " conns=" + impl.connections();
    }
}
