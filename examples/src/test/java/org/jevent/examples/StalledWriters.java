package org.jevent.examples;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * Clients that write and never read, the cheapest attack on an echo server or a relay: each
 * connection has a thread that writes 16 KiB blocks until its socket takes no more (the server
 * stopped reading) or it has written {@code limit} bytes (a server without back-pressure never
 * stops reading). Small socket buffers on our side make the stall come sooner; the server's
 * side is whatever its kernel gives it. {@link #close()} resets every connection, which also
 * unblocks the writers.
 */
final class StalledWriters implements AutoCloseable {
    private static final int BLOCK = 16 * 1024;

    private final List<Socket> sockets = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong handshaken = new AtomicLong();
    private final List<String> failures = new ArrayList<>();

    /** Connects {@code n} clients ({@code tls} null: plaintext); each starts writing at once. */
    StalledWriters(int port, SSLContext tls, int n, long limit) throws IOException {
        for (int i = 0; i < n; i++) {
            Socket plain = new Socket();
            plain.setSendBufferSize(64 * 1024);
            plain.setReceiveBufferSize(64 * 1024);
            plain.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            sockets.add(plain);
            Thread t = new Thread(() -> write(plain, tls, port, limit), "stalled-writer-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void write(Socket plain, SSLContext tls, int port, long limit) {
        try {
            OutputStream out;
            if (tls != null) {
                SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(plain, "localhost", port, true);
                plain.setSoTimeout(10_000); // bounds the handshake; nothing is read after it
                s.startHandshake();
                out = s.getOutputStream();
            } else {
                out = plain.getOutputStream();
            }
            handshaken.incrementAndGet();
            byte[] block = new byte[BLOCK];
            for (long sent = 0; sent < limit; sent += BLOCK) {
                block[(int) (sent / BLOCK) % BLOCK] ^= 1; // not all zeros, not all the same
                out.write(block);
                written.addAndGet(BLOCK);
            }
        } catch (IOException e) {
            if (!plain.isClosed()) {
                synchronized (failures) {
                    failures.add(e.toString());
                }
            }
        }
    }

    long written() {
        return written.get();
    }

    /**
     * Waits until every connection is set up and no writer has moved for {@code quietMillis}
     * (each is blocked: the server stopped reading), or every writer reached its limit; at most
     * {@code maxMillis}. Returns the bytes written in all.
     */
    long awaitStalled(long quietMillis, long maxMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + maxMillis;
        long last = -1;
        long since = System.currentTimeMillis();
        while (System.currentTimeMillis() < deadline) {
            boolean allDone = threads.stream().noneMatch(Thread::isAlive);
            long now = written.get();
            if (now != last) {
                last = now;
                since = System.currentTimeMillis();
            } else if (handshaken.get() == sockets.size() && System.currentTimeMillis() - since >= quietMillis) {
                return now;
            }
            if (allDone) {
                return now;
            }
            Thread.sleep(50); // polling the counters; the deadline bounds it
        }
        throw new AssertionError("writers still moving after " + maxMillis + " ms: " + written.get() + " bytes, "
                + handshaken.get() + "/" + sockets.size() + " set up; failures " + failures());
    }

    List<String> failures() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (Socket s : sockets) {
            try {
                s.setSoLinger(true, 0);
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        for (Thread t : threads) {
            t.join(5000);
        }
    }
}
