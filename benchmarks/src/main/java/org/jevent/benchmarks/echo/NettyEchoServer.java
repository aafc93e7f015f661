package org.jevent.benchmarks.echo;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Netty 4.1's echo server as its own example writes it: one boss thread, one worker thread (or
 * {@code workers}: Netty spreads the accepted channels over them in turn); behind an SslHandler
 * when {@code ssl} is given. Threads are named {@code netty-boss-*} and {@code netty-loop-*}, so
 * that the load run can read each event loop's CPU time ({@link ProcFs#loopThreadCpuNanos}).
 */
final class NettyEchoServer implements EchoServer.Impl {
    private final Function<SocketChannel, ChannelHandler> ssl;
    private final int workers;
    private final AtomicInteger connections = new AtomicInteger();
    private EventLoopGroup boss;
    private EventLoopGroup worker;
    private Channel server;

    /**
     * {@code workers} worker threads (event loops) beside the boss; {@code ssl} makes each
     * connection's SslHandler, or is null for plain TCP.
     */
    NettyEchoServer(Function<SocketChannel, ChannelHandler> ssl, int workers) {
        this.ssl = ssl;
        this.workers = workers;
    }

    @ChannelHandler.Sharable
    private final class Echo extends ChannelInboundHandlerAdapter {
        private boolean reported;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            connections.incrementAndGet();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            connections.decrementAndGet();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!reported) {
                reported = true; // the first one only: a broken peer would print thousands
                System.err.println("netty echo: first connection error: " + cause);
            }
            ctx.close();
        }
    }

    @Override
    public int start() throws Exception {
        boss = new NioEventLoopGroup(1, new DefaultThreadFactory("netty-boss"));
        worker = new NioEventLoopGroup(workers, new DefaultThreadFactory("netty-loop"));
        Echo echo = new Echo();
        server = new ServerBootstrap()
                .group(boss, worker)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (ssl != null) {
                            ch.pipeline().addLast(ssl.apply(ch));
                        }
                        ch.pipeline().addLast(echo);
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public int connections() {
        return connections.get();
    }

    @Override
    public void stop() throws Exception {
        server.close().sync();
        boss.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
        worker.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }
}
