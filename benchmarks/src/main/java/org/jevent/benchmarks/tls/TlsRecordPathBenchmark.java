package org.jevent.benchmarks.tls;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslHandler;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.PairBufferevent;
import org.jevent.bufferevent.ssl.SelfSignedCertificate;
import org.jevent.bufferevent.ssl.SslBufferevent;
import org.jevent.bufferevent.ssl.SslContexts;
import org.jevent.bufferevent.ssl.SslProvider;
import org.jevent.bufferevent.ssl.SslState;
import org.jevent.eventbase.EventBase;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The TLS record path without sockets, jevent against Netty with the same SSLEngine provider:
 * one op is one message of {@code size} bytes written by a client, encrypted, handed to a server
 * and decrypted there, all on the benchmark thread.
 * <ul>
 * <li>jevent: two {@link SslBufferevent} filters (CONNECTING and ACCEPTING) over a
 * {@link PairBufferevent}; the client's {@code write(byte[])} pumps the record through the pair
 * into the server's pump at once; the server's read callback drains its input.</li>
 * <li>Netty: two {@link EmbeddedChannel}s with an {@link SslHandler} each on an engine from the
 * same {@link SslContexts}; {@code writeAndFlush} of a wrapped array on the client, its outbound
 * records written inbound into the server, whose last handler releases the plaintext.</li>
 * </ul>
 * Both copy the caller's array once on the way in and hand out the plaintext as buffers that are
 * then dropped, so the difference is the pump: how each moves bytes in and out of the engine and
 * in which memory (jevent gives Conscrypt direct memory and the JDK heap arrays; Netty does the
 * same through its {@code SslEngineType}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dio.netty.leakDetection.level=disabled"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class TlsRecordPathBenchmark {
    @Param({"CONSCRYPT", "JDK"})
    public String provider;

    @Param({"TLSv1.3", "TLSv1.2"})
    public String protocol;

    @Param({"64", "16384"})
    public int size;

    private byte[] message;

    private EventBase base;
    private SslBufferevent jeventClient;
    private SslBufferevent jeventServer;
    private long jeventReceived;

    private EmbeddedChannel nettyClient;
    private EmbeddedChannel nettyServer;
    private long nettyReceived;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        message = new byte[size];
        for (int i = 0; i < size; i++) {
            message[i] = (byte) i;
        }
        SelfSignedCertificate cert = SelfSignedCertificate.generate();
        SslProvider p = SslProvider.valueOf(provider);
        SslContexts server = SslContexts.forServer(cert).provider(p).protocols(protocol).build();
        SslContexts client = SslContexts.forClient().trustCertificates(cert.certificate()).provider(p)
                .protocols(protocol).build();
        setUpJevent(server.newServerEngine(), client.newClientEngine("localhost", 443));
        setUpNetty(server.newServerEngine(), client.newClientEngine("localhost", 443));
    }

    private void setUpJevent(SSLEngine serverEngine, SSLEngine clientEngine) {
        base = new EventBase();
        PairBufferevent[] pair = PairBufferevent.create(base, 0);
        jeventClient = SslBufferevent.filter(base, pair[0], clientEngine, SslState.CONNECTING,
                Bufferevent.BEV_OPT_CLOSE_ON_FREE);
        jeventServer = SslBufferevent.filter(base, pair[1], serverEngine, SslState.ACCEPTING,
                Bufferevent.BEV_OPT_CLOSE_ON_FREE);
        jeventServer.setCallbacks(b -> {
            long n = b.getInput().getLength();
            b.getInput().drain(n);
            jeventReceived += n;
        }, null, null);
        jeventClient.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        jeventServer.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        jeventClient.write(message, 0, message.length);
        long want = message.length;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (jeventReceived < want) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("jevent handshake did not complete");
            }
            base.loop(EventBase.EVLOOP_ONCE); // the JDK's handshake tasks run on another thread
        }
    }

    private void setUpNetty(SSLEngine serverEngine, SSLEngine clientEngine) throws Exception {
        clientEngine.setUseClientMode(true);
        serverEngine.setUseClientMode(false);
        nettyClient = new EmbeddedChannel(new SslHandler(clientEngine));
        nettyServer = new EmbeddedChannel(new SslHandler(serverEngine), new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf b = (ByteBuf) msg;
                nettyReceived += b.readableBytes();
                b.release();
            }
        });
        nettyClient.writeAndFlush(Unpooled.wrappedBuffer(message));
        for (int turns = 0; nettyReceived < message.length; turns++) {
            if (turns > 10_000) {
                throw new IllegalStateException("Netty handshake did not complete");
            }
            shuttle(nettyClient, nettyServer);
            shuttle(nettyServer, nettyClient);
        }
    }

    /** Moves every record {@code from} wrote into {@code to}. */
    private static void shuttle(EmbeddedChannel from, EmbeddedChannel to) {
        Object o;
        while ((o = from.readOutbound()) != null) {
            to.writeInbound(o);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        jeventClient.free();
        jeventServer.free();
        base.free();
        nettyClient.finishAndReleaseAll();
        nettyServer.finishAndReleaseAll();
    }

    @Benchmark
    public long jevent() {
        long want = jeventReceived + message.length;
        jeventClient.write(message, 0, message.length);
        while (jeventReceived < want) {
            base.loop(EventBase.EVLOOP_NONBLOCK);
        }
        return jeventReceived;
    }

    @Benchmark
    public long netty() {
        long want = nettyReceived + message.length;
        nettyClient.writeAndFlush(Unpooled.wrappedBuffer(message));
        while (nettyReceived < want) {
            shuttle(nettyClient, nettyServer);
        }
        return nettyReceived;
    }
}
