package org.jevent.examples;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * The good client of the fault suite: on its own thread it keeps connecting to an echo server
 * (plain or TLS), sending random messages and checking that every byte comes back, while the
 * hostile clients attack. It opens a new connection every {@link #EXCHANGES_PER_CONNECTION}
 * exchanges, so that accepting is exercised too. Every read and connect has a timeout; a failure
 * is recorded with its reason and the client tries again after a short pause.
 */
final class VerifyingClient implements AutoCloseable {
    static final int EXCHANGES_PER_CONNECTION = 4;
    private static final int TIMEOUT_MILLIS = 10_000;

    private final int port;
    private final SSLContext tls;
    private final Thread thread;
    private final Random random = new Random(11);
    /** The first {@link #KEPT_FAILURES} failures; {@link #failureCount} counts them all. */
    private final List<String> failures = new ArrayList<>();
    private static final int KEPT_FAILURES = 10;
    private long failureCount;
    private volatile boolean stop;
    private volatile boolean paused;
    /** True while paused and holding no connection. */
    private boolean idle;
    private long served;
    private Socket current;

    /** {@code tls} null: plaintext. */
    VerifyingClient(int port, SSLContext tls) {
        this.port = port;
        this.tls = tls;
        this.thread = new Thread(this::run, "verifying-client");
        this.thread.setDaemon(true);
    }

    VerifyingClient start() {
        thread.start();
        return this;
    }

    /** Exchanges verified so far. */
    synchronized long served() {
        return served;
    }

    synchronized List<String> failures() {
        return List.copyOf(failures);
    }

    synchronized long failureCount() {
        return failureCount;
    }

    private synchronized String describeFailures() {
        return failureCount + " failures" + (failureCount == 0 ? "" : ", the first: " + failures);
    }

    /** Waits until {@code more} exchanges beyond those already verified are; fails with the reasons otherwise. */
    void awaitServed(int more, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        synchronized (this) {
            long from = served;
            while (served < from + more) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    throw new AssertionError("the good client got " + (served - from) + " of " + more
                            + " exchanges served within " + millis + " ms; " + describeFailures());
                }
                wait(left);
            }
        }
    }

    /**
     * Stops between connections (the current one is finished and closed) until {@link #resume};
     * returns once the client holds no connection, so that the server's descriptors can be
     * counted without it.
     */
    void pause() throws InterruptedException {
        long deadline = System.currentTimeMillis() + 3L * TIMEOUT_MILLIS;
        synchronized (this) {
            paused = true;
            notifyAll();
            while (!idle) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    throw new AssertionError("the good client did not pause within " + 3 * TIMEOUT_MILLIS + " ms");
                }
                wait(left);
            }
        }
    }

    synchronized void resume() {
        paused = false;
        notifyAll();
    }

    /** Blocks while paused; false when stopped. */
    private synchronized boolean awaitNotPaused() {
        while (paused && !stop) {
            idle = true;
            notifyAll();
            try {
                wait();
            } catch (InterruptedException e) {
                return false;
            }
        }
        idle = false;
        return !stop;
    }

    private void run() {
        while (awaitNotPaused()) {
            try (Socket s = open()) {
                synchronized (this) {
                    current = s;
                }
                for (int i = 0; i < EXCHANGES_PER_CONNECTION && !stop && !paused; i++) {
                    exchange(s);
                }
            } catch (IOException | RuntimeException e) {
                if (stop) {
                    return;
                }
                synchronized (this) {
                    failureCount++;
                    if (failures.size() < KEPT_FAILURES) {
                        failures.add(e.toString());
                    }
                }
                try {
                    Thread.sleep(100); // not a check: a pause before trying again, so a refusal is not a busy loop
                } catch (InterruptedException ie) {
                    return;
                }
            } finally {
                synchronized (this) {
                    current = null;
                }
            }
        }
    }

    private Socket open() throws IOException {
        Socket plain = new Socket();
        try {
            plain.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MILLIS);
            plain.setSoTimeout(TIMEOUT_MILLIS);
            plain.setTcpNoDelay(true);
            if (tls == null) {
                return plain;
            }
            SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(plain, "localhost", port, true);
            s.startHandshake();
            return s;
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    private void exchange(Socket s) throws IOException {
        byte[] msg = new byte[1 + random.nextInt(8192)];
        random.nextBytes(msg);
        OutputStream out = s.getOutputStream();
        out.write(msg);
        out.flush();
        byte[] back = s.getInputStream().readNBytes(msg.length);
        if (back.length < msg.length) {
            throw new IOException("EOF after " + back.length + " of " + msg.length + " echoed bytes");
        }
        if (!Arrays.equals(msg, back)) {
            throw new IOException("echoed bytes differ from those sent (" + msg.length + " bytes)");
        }
        synchronized (this) {
            served++;
            notifyAll();
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        synchronized (this) {
            notifyAll();
            if (current != null) {
                try {
                    current.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
        thread.join(TIMEOUT_MILLIS + 2000);
    }
}
