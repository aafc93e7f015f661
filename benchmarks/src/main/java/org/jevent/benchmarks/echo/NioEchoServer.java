package org.jevent.benchmarks.echo;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;

/**
 * The smallest reasonable echo server on plain NIO: one thread, one shared read buffer, and a
 * per-connection buffer only for bytes the socket did not take at once.
 */
final class NioEchoServer implements EchoServer.Impl {
    private volatile int connections;
    private volatile boolean running = true;
    private Selector selector;
    private Thread thread;

    @Override
    public int start() throws Exception {
        CompletableFuture<Integer> port = new CompletableFuture<>();
        thread = new Thread(() -> {
            try {
                serve(port);
            } catch (Throwable t) {
                port.completeExceptionally(t);
            }
        }, "nio-echo");
        thread.start();
        return port.get();
    }

    private void serve(CompletableFuture<Integer> port) throws IOException {
        selector = Selector.open();
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress("127.0.0.1", 0), 1024);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        port.complete(((InetSocketAddress) server.getLocalAddress()).getPort());
        ByteBuffer shared = ByteBuffer.allocateDirect(64 * 1024);
        while (running) {
            selector.select(key -> {
                try {
                    if (key.isAcceptable()) {
                        SocketChannel ch;
                        while ((ch = server.accept()) != null) {
                            ch.configureBlocking(false);
                            ch.register(selector, SelectionKey.OP_READ);
                            connections++;
                        }
                        return;
                    }
                    SocketChannel ch = (SocketChannel) key.channel();
                    if (key.isWritable()) {
                        ByteBuffer pending = (ByteBuffer) key.attachment();
                        ch.write(pending);
                        if (!pending.hasRemaining()) {
                            key.attach(null);
                            key.interestOps(SelectionKey.OP_READ);
                        }
                    }
                    if (key.isValid() && key.isReadable() && key.attachment() == null) {
                        shared.clear();
                        int n = ch.read(shared);
                        if (n < 0) {
                            close(key);
                            return;
                        }
                        shared.flip();
                        ch.write(shared);
                        if (shared.hasRemaining()) {
                            ByteBuffer pending = ByteBuffer.allocate(shared.remaining());
                            pending.put(shared).flip();
                            key.attach(pending);
                            key.interestOps(SelectionKey.OP_WRITE);
                        }
                    }
                } catch (IOException e) {
                    close(key);
                }
            });
        }
        server.close();
        selector.close();
    }

    private void close(SelectionKey key) {
        connections--;
        key.cancel();
        try {
            key.channel().close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    @Override
    public int connections() {
        return connections;
    }

    @Override
    public void stop() throws Exception {
        running = false;
        selector.wakeup();
        thread.join(5000);
    }
}
