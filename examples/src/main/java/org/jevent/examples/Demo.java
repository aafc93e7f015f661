package org.jevent.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.net.InetSocketAddress;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.SocketBufferevent;
import org.jevent.eventbase.EvConnListener;
import org.jevent.eventbase.EventBase;
import org.jevent.evbuffer.EolStyle;
import org.jevent.evbuffer.EvBuffer;
import org.jevent.evbuffer.SegmentPool;

/**
 * The main job. Until the TLS layer exists it exercises EvBuffer and the event loop the way a
 * protocol server does: line parsing, zero-copy moves between buffers, a hashed transfer through
 * a pipe with scattering reads and gathering writes, and a line echo server with its clients over
 * loopback bufferevents. Prints a table; exits non-zero if any step failed.
 */
final class Demo {
    private final PrintStream out;
    private final List<String[]> rows = new ArrayList<>();
    private boolean failed;

    Demo(PrintStream out) {
        this.out = out;
    }

    int run(String[] args) {
        if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
            out.println("demo: no options; runs every step and prints a table");
            return 0;
        }
        step("parse CRLF lines", this::lines);
        step("move 1 MiB by relinking", this::moveBuffers);
        step("64 MiB through a pipe, SHA-256 checked", this::pipeTransfer);
        step("echo over loopback bufferevents", this::loopbackEcho);
        step("no segment leaked", this::noLeak);
        out.printf("%-42s %-6s %s%n", "step", "result", "detail");
        for (String[] r : rows) {
            out.printf("%-42s %-6s %s%n", r[0], r[1], r[2]);
        }
        return failed ? 1 : 0;
    }

    private interface Step {
        String run() throws Exception;
    }

    private void step(String name, Step s) {
        try {
            rows.add(new String[] {name, "ok", s.run()});
        } catch (Exception | AssertionError e) {
            failed = true;
            rows.add(new String[] {name, "FAILED", String.valueOf(e)});
            if (Boolean.getBoolean("jevent.demo.trace")) {
                e.printStackTrace(out);
            }
        }
    }

    private String lines() {
        EvBuffer buf = new EvBuffer();
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            buf.addPrintf("GET /item/%d HTTP/1.1\r\n", i);
        }
        long t0 = System.nanoTime();
        int count = 0;
        String line;
        while ((line = buf.readLine(EolStyle.CRLF)) != null) {
            check(line.equals("GET /item/" + count + " HTTP/1.1"), "line " + count + " was " + line);
            count++;
        }
        long ns = System.nanoTime() - t0;
        check(count == n && buf.getLength() == 0, "read " + count + " lines");
        buf.free();
        return String.format("%d lines, %.1f M lines/s", count, count / (ns / 1e3));
    }

    private String moveBuffers() {
        EvBuffer a = new EvBuffer();
        EvBuffer b = new EvBuffer();
        byte[] chunk = new byte[16 * 1024];
        new Random(1).nextBytes(chunk);
        for (int i = 0; i < 64; i++) {
            a.add(chunk);
        }
        int segments = a.segmentCount();
        long t0 = System.nanoTime();
        b.addBuffer(a);
        long ns = System.nanoTime() - t0;
        check(a.getLength() == 0 && b.getLength() == 64L * chunk.length, "lengths after the move");
        byte[] back = new byte[chunk.length];
        for (int i = 0; i < 64; i++) {
            b.remove(back);
            check(Arrays.equals(back, chunk), "chunk " + i + " changed");
        }
        a.free();
        b.free();
        return String.format("%d segments moved in %d us", segments, ns / 1000);
    }

    private String pipeTransfer() throws IOException, NoSuchAlgorithmException {
        long total = 64L << 20;
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        MessageDigest received = MessageDigest.getInstance("SHA-256");
        Pipe pipe = Pipe.open();
        try (Pipe.SinkChannel sink = pipe.sink(); Pipe.SourceChannel source = pipe.source()) {
            sink.configureBlocking(false);
            source.configureBlocking(false);
            EvBuffer out = new EvBuffer();
            EvBuffer in = new EvBuffer();
            Random random = new Random(42);
            byte[] block = new byte[64 * 1024];
            byte[] drain = new byte[64 * 1024];
            long produced = 0;
            long consumed = 0;
            long t0 = System.nanoTime();
            while (consumed < total) {
                if (produced < total && out.getLength() < 256 * 1024) {
                    random.nextBytes(block);
                    sent.update(block);
                    out.add(block);
                    produced += block.length;
                }
                if (out.getLength() > 0) {
                    out.writeTo(sink);
                }
                while (in.readFrom(source, 64 * 1024) > 0) {
                    // keep reading while the pipe has bytes
                }
                int n;
                while ((n = in.remove(drain)) > 0) {
                    received.update(drain, 0, n);
                    consumed += n;
                }
            }
            long ns = System.nanoTime() - t0;
            check(MessageDigest.isEqual(sent.digest(), received.digest()), "digest mismatch");
            out.free();
            in.free();
            return String.format("%.0f MB/s, hashes equal", total / (ns / 1e3));
        }
    }

    /**
     * A line echo server and 20 clients on one event base: every client sends 2,000 numbered
     * lines, the server echoes each line back as soon as it is complete, and every client checks
     * every line it gets back.
     */
    private String loopbackEcho() throws Exception {
        int clients = 20;
        int lines = 2_000;
        EventBase base = new EventBase();
        try {
            EvConnListener listener = EvConnListener.newBind(base, (l, ch, peer) -> {
                SocketBufferevent bev = Bufferevent.socket(base, ch, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
                bev.setCallbacks(b -> {
                    byte[] line;
                    while ((line = b.getInput().readLineBytes(EolStyle.LF)) != null) {
                        b.write(line);
                        b.write(NEWLINE);
                    }
                }, null, (b, what) -> b.free());
                bev.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
            }, EvConnListener.LEV_OPT_CLOSE_ON_FREE | EvConnListener.LEV_OPT_REUSEABLE, -1,
                    new InetSocketAddress("127.0.0.1", 0));
            int[] done = new int[1];
            String[] failure = new String[1];
            for (int c = 0; c < clients; c++) {
                int id = c;
                int[] expected = new int[1];
                SocketBufferevent client = Bufferevent.socket(base, null, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
                client.setCallbacks(b -> {
                    String line;
                    while ((line = b.getInput().readLine(EolStyle.LF)) != null) {
                        String want = "client " + id + " line " + expected[0];
                        if (!line.equals(want)) {
                            failure[0] = "got '" + line + "', expected '" + want + "'";
                            base.loopBreak();
                            return;
                        }
                        if (++expected[0] == lines) {
                            b.free();
                            if (++done[0] == clients) {
                                listener.free();
                            }
                            return;
                        }
                    }
                }, null, (b, what) -> {
                    if ((what & Bufferevent.BEV_EVENT_CONNECTED) == 0) {
                        failure[0] = "client " + id + " event 0x" + Integer.toHexString(what) + ": " + b.getLastError();
                        base.loopBreak();
                    }
                });
                client.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
                client.connect(listener.getLocalAddress());
                for (int i = 0; i < lines; i++) {
                    client.getOutput().addPrintf("client %d line %d\n", id, i);
                }
            }
            long t0 = System.nanoTime();
            base.dispatch();
            long ns = System.nanoTime() - t0;
            check(failure[0] == null, String.valueOf(failure[0]));
            check(done[0] == clients, done[0] + " of " + clients + " clients finished");
            return String.format("%d clients x %d lines, %.0f k lines/s", clients, lines,
                    clients * (double) lines / (ns / 1e6));
        } finally {
            base.free();
        }
    }

    private static final byte[] NEWLINE = {'\n'};

    private String noLeak() {
        long outstanding = SegmentPool.current().outstanding();
        check(outstanding == 0, outstanding + " pooled segments still held");
        return SegmentPool.current().pooledSegments() + " segments back in the pool";
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    static String ascii(byte[] b) {
        return new String(b, StandardCharsets.US_ASCII);
    }
}
