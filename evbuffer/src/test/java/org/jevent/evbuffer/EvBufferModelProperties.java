package org.jevent.evbuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.ActionChainArbitrary;
import net.jqwik.api.state.Transformer;

import org.jevent.evbuffer.EvBufferModelState.BytesSpec;
import org.jevent.evbuffer.EvBufferModelState.FileSeg;
import org.jevent.evbuffer.EvBufferModelState.MemChannel;
import org.jevent.evbuffer.EvBufferModelState.PlainChannel;
import org.jevent.evbuffer.EvBufferModelState.Ref;
import org.jevent.evbuffer.EvBufferModelState.Reservation;
import org.jevent.evbuffer.EvBufferModelState.Validity;

/**
 * Stateful properties: random sequences of every public {@link EvBuffer} operation on three
 * buffers, each step checked against {@link ByteModel}, a plain byte array that is obviously
 * right.
 *
 * <p>After every step: content (read through the segments without any public operation, so
 * that checking does not materialise files or rearrange anything), length,
 * {@link EvBuffer#checkInvariants()}, exactly one callback report {@code (origSize, nAdded,
 * nDeleted)} per changed buffer and none for an unchanged one, {@code getContiguousSpace}
 * bounds, freeze flags, and for memory lent with {@code addReference}: never written, cleanup
 * at most once, cleanup done once no buffer holds any of its bytes (after which the test
 * scribbles over the memory, so a buffer still reading it fails the content check). At the end
 * of a sequence every buffer is freed and the thread's {@link SegmentPool} must be back at its
 * starting {@code outstanding()}, every cleanup must have run exactly once, every channel given
 * to addFile must be closed and file segments released once.
 *
 * <p>Where the contract leaves room the model accepts both outcomes, and only those: an
 * operation refused on a frozen buffer that would have changed nothing anyway may throw or
 * not (libevent and the port differ on e.g. {@code drain(0)}); a reservation followed by
 * pullup, expand, readFrom or being the source of addBufferReference (which may rearrange the
 * end without changing content) may be committed or refused with IllegalStateException, but if
 * committed the bytes must be right. After a content change a commit must throw
 * IllegalStateException.
 *
 * <p>For hunting several bugs at once, {@code -Devbuffer.model.exclude=readFrom,commit} leaves
 * named actions out, and {@code -Devbuffer.model.stats=true} prints how often each action ran
 * and changed something; by default every action runs.
 */
class EvBufferModelProperties {
    private static final Set<String> EXCLUDE =
            new HashSet<>(Arrays.asList(System.getProperty("evbuffer.model.exclude", "").split(",")));
    private static final ThreadLocal<EvBufferModelState> CURRENT = new ThreadLocal<>();

    @Property(tries = 1000)
    void everyOperationAgreesWithTheModel(@ForAll("chains") ActionChain<EvBufferModelState> chain) {
        runChain(chain);
    }

    static void runChain(ActionChain<EvBufferModelState> chain) {
        CURRENT.remove();
        boolean finished = false;
        try {
            EvBufferModelState s = chain.run();
            finished = true;
            s.finish();
        } finally {
            EvBufferModelState s = CURRENT.get();
            CURRENT.remove();
            if (!finished && s != null) {
                // a failed try: release what we can so that shrinking does not exhaust direct memory
                for (EvBuffer b : s.bufs) {
                    try {
                        b.free();
                    } catch (RuntimeException | AssertionError ignored) {
                        // the failure is reported already
                    }
                }
                for (FileSeg fs : s.fileSegs) {
                    try {
                        fs.seg.free();
                        fs.channel.close();
                    } catch (RuntimeException | IOException ignored) {
                        // idem
                    }
                }
            }
        }
    }

    /**
     * The same model with only the operations that move, share and split segments: short
     * chains dense in addBufferReference, removeBuffer around the share minimum, prepends into
     * shared memory, pullups across shared segments and reservations next to them.
     */
    @Property(tries = 1000)
    void movingAndSharingAgreesWithTheModel(@ForAll("sharingChains") ActionChain<EvBufferModelState> chain) {
        runChain(chain);
    }

    /** Only what finds and reads lines and needles, with pointers kept across changes. */
    @Property(tries = 1000)
    void searchingAndLinesAgreeWithTheModel(@ForAll("searchChains") ActionChain<EvBufferModelState> chain) {
        runChain(chain);
    }

    private static final Set<String> SHARING = Set.of("add", "prepend", "addBuffer", "prependBuffer",
            "addBufferReference", "removeBuffer", "drain", "remove", "pullup", "expand", "reserve", "commit",
            "addReference", "readLine", "writeTo", "recycle", "unfreeze", "freeze", "peek", "armOneShot", "addManyReferences",
            "deferCallbacks", "runDeferred", "callbackFlags");
    private static final Set<String> SEARCH = Set.of("add", "addString", "prepend", "drain", "removeBuffer",
            "addBuffer", "addBufferReference", "pullup", "readLine", "searchEol", "search", "searchAll",
            "searchRange", "ptrSet", "copyoutFrom", "peek", "addFile", "addFileSegment", "addReference", "addManyReferences");

    @Provide
    Arbitrary<ActionChain<EvBufferModelState>> chains() {
        return chain(null, 50);
    }

    @Provide
    Arbitrary<ActionChain<EvBufferModelState>> sharingChains() {
        return chain(SHARING, 30);
    }

    @Provide
    Arbitrary<ActionChain<EvBufferModelState>> searchChains() {
        return chain(SEARCH, 30);
    }

    private Set<String> only;

    private ActionChainArbitrary<EvBufferModelState> chain(Set<String> names, int maxSteps) {
        only = names;
        ActionChainArbitrary<EvBufferModelState> a = ActionChain.startWith(() -> {
            EvBufferModelState s = new EvBufferModelState();
            CURRENT.set(s);
            return s;
        });
        a = with(a, "add", 6, addBytes());
        a = with(a, "addString", 2, addString());
        a = with(a, "addPrintf", 1, addPrintf());
        a = with(a, "addIovec", 2, addIovec());
        a = with(a, "prepend", 3, prepend());
        a = with(a, "addBuffer", 3, addBuffer());
        a = with(a, "prependBuffer", 2, prependBuffer());
        a = with(a, "addBufferReference", 3, addBufferReference());
        a = with(a, "removeBuffer", 4, removeBuffer());
        a = with(a, "drain", 4, drain());
        a = with(a, "remove", 2, remove());
        a = with(a, "copyout", 2, copyout());
        a = with(a, "copyoutFrom", 2, copyoutFrom());
        a = with(a, "pullup", 2, pullup());
        a = with(a, "expand", 2, expand());
        a = with(a, "reserve", 3, reserve());
        a = with(a, "commit", 3, commit());
        a = with(a, "peek", 2, peek());
        a = with(a, "search", 3, search());
        a = with(a, "searchRange", 2, searchRange());
        a = with(a, "searchAll", 2, searchAll());
        a = with(a, "searchEol", 3, searchEol());
        a = with(a, "readLine", 4, readLine());
        a = with(a, "ptrSet", 3, ptrSet());
        a = with(a, "addReference", 3, addReference());
        a = with(a, "addFile", 2, addFile());
        a = with(a, "addManyReferences", 1, addManyReferences());
        a = with(a, "addFileSegment", 2, addFileSegment());
        a = with(a, "readFrom", 2, readFrom());
        a = with(a, "readFromPipe", 1, readFromPipe());
        a = with(a, "writeToPipe", 1, writeToPipe());
        a = with(a, "setMaxRead", 1, setMaxRead());
        a = with(a, "writeTo", 2, writeTo());
        a = with(a, "freeze", 1, freeze());
        a = with(a, "unfreeze", 3, unfreeze());
        a = with(a, "recycle", 1, recycle());
        a = with(a, "callbackFlags", 1, callbackFlags());
        a = with(a, "callbackReRegister", 1, callbackReRegister());
        a = with(a, "armOneShot", 1, armOneShot());
        a = with(a, "deferCallbacks", 1, deferCallbacks());
        a = with(a, "runDeferred", 2, runDeferred());
        return a.withMaxTransformations(maxSteps);
    }

    private ActionChainArbitrary<EvBufferModelState> with(ActionChainArbitrary<EvBufferModelState> a,
            String name, int weight, Action<EvBufferModelState> action) {
        if (EXCLUDE.contains(name) || (only != null && !only.contains(name))) {
            return a;
        }
        return a.withAction(weight, action);
    }

    // ================================================================== plumbing

    interface Body {
        void run(EvBufferModelState s) throws IOException;
    }

    interface Call {
        void run() throws IOException;
    }

    /** One step: reset the per-step records, run, check everything against the model. */
    static Transformer<EvBufferModelState> step(String desc, Body body) {
        return Transformer.mutate(desc, s -> {
            s.begin();
            try {
                body.run(s);
            } catch (IOException e) {
                throw new UncheckedIOException(desc, e);
            }
            s.verify(desc);
            if (STATS != null) {
                String name = desc.replaceFirst("^b\\d\\.", "").replaceFirst("[( ].*", "");
                boolean changed = false;
                long total = 0;
                for (ByteModel m : s.models) {
                    changed |= m.changedThisStep();
                    total += m.length();
                }
                STATS.merge(name + (changed ? " changed" : " same"), 1, Integer::sum);
                STATS.merge("max total length >= " + (1L << (63 - Long.numberOfLeadingZeros(total | 1))), 1, Integer::sum);
            }
        });
    }

    private static final java.util.Map<String, Integer> STATS =
            Boolean.getBoolean("evbuffer.model.stats") ? new java.util.concurrent.ConcurrentSkipListMap<>() : null;

    @net.jqwik.api.lifecycle.AfterContainer
    static void printStats() {
        if (STATS != null) {
            STATS.forEach((k, v) -> System.out.println("STAT " + k + " = " + v));
        }
    }

    static Action<EvBufferModelState> independent(Arbitrary<Transformer<EvBufferModelState>> t) {
        return new Action.Independent<>() {
            @Override
            public Arbitrary<Transformer<EvBufferModelState>> transformer() {
                return t;
            }
        };
    }

    /**
     * A refused operation must throw IllegalStateException and change nothing (the model is
     * simply not updated). When the operation would not have changed anything anyway, libevent
     * and this port differ in places on whether it is refused, so either outcome is accepted.
     */
    static void refused(String what, boolean noOp, Call op) throws IOException {
        try {
            op.run();
        } catch (IllegalStateException expected) {
            return;
        }
        if (!noOp) {
            throw new AssertionError(what + " on a frozen buffer did not throw IllegalStateException");
        }
    }

    static <X extends Throwable> void expectThrows(Class<X> type, String what, Call op) throws IOException {
        try {
            op.run();
        } catch (Throwable t) {
            if (type.isInstance(t)) {
                return;
            }
            throw new AssertionError(what + " threw " + t + " instead of " + type.getSimpleName(), t);
        }
        throw new AssertionError(what + " did not throw " + type.getSimpleName());
    }

    static void eq(long expected, long actual, String what) {
        if (expected != actual) {
            throw new AssertionError(what + ": expected " + expected + " but was " + actual);
        }
    }

    static void bytesEq(byte[] expected, byte[] actual, String what) {
        if (!Arrays.equals(expected, actual)) {
            throw new AssertionError(what + ": bytes differ at index " + Arrays.mismatch(expected, actual)
                    + " (expected " + expected.length + " bytes, got " + actual.length + ")");
        }
    }

    static void ok(boolean cond, String what) {
        if (!cond) {
            throw new AssertionError(what);
        }
    }

    static void maybeStale(EvBufferModelState s, int i) {
        Reservation r = s.reservations[i];
        if (r != null && r.validity == Validity.VALID) {
            r.validity = Validity.EITHER;
        }
    }

    // ================================================================== generators

    static Arbitrary<Integer> buf() {
        return Arbitraries.integers().between(0, EvBufferModelState.N - 1);
    }

    /** Sizes from 0 to 40 KiB, crowding the segment sizes (4096, 17408) and the share minimum (1024). */
    static Arbitrary<Integer> sizes() {
        return Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.integers().between(0, 16)),
                Tuple.of(3, Arbitraries.integers().between(0, 400)),
                Tuple.of(2, Arbitraries.integers().between(1000, 1100)),
                Tuple.of(2, Arbitraries.integers().between(4070, 4120)),
                Tuple.of(1, Arbitraries.integers().between(17380, 17440)),
                Tuple.of(1, Arbitraries.integers().between(0, 40960)));
    }

    static Arbitrary<BytesSpec> bytes() {
        return bytes(sizes());
    }

    static Arbitrary<BytesSpec> bytes(Arbitrary<Integer> sizes) {
        return Combinators.combine(sizes, Arbitraries.longs(), Arbitraries.frequency(
                Tuple.of(5, 0), Tuple.of(3, 1), Tuple.of(1, 2))).as(BytesSpec::new);
    }

    /**
     * An amount relative to a length: absolute, per mille of it, a little past it, or -1.
     */
    record Amount(int kind, int value) {
        long of(long len) {
            switch (kind) {
                case 0:
                    return value;
                case 1:
                    return len * value / 1000;
                case 2:
                    return len + value;
                default:
                    return -1;
            }
        }

        @Override
        public String toString() {
            switch (kind) {
                case 0:
                    return String.valueOf(value);
                case 1:
                    return value + "‰";
                case 2:
                    return "len+" + value;
                default:
                    return "-1";
            }
        }
    }

    static Arbitrary<Amount> amounts(boolean minusOne) {
        return Arbitraries.frequencyOf(
                Tuple.of(3, sizes().map(v -> new Amount(0, v))),
                Tuple.of(4, Arbitraries.integers().between(0, 1000).map(v -> new Amount(1, v))),
                Tuple.of(1, Arbitraries.integers().between(0, 20).map(v -> new Amount(2, v))),
                Tuple.of(minusOne ? 1 : 0, Arbitraries.just(new Amount(3, 0))));
    }

    /** A needle: kind 0 a piece of the buffer itself, 1 a few random line-ish bytes. */
    record Needle(int kind, int at, int len, long seed) {
        byte[] of(ByteModel m) {
            if (kind == 0 && m.length() > 0) {
                int from = (int) ((long) m.length() * at / 1000);
                int to = Math.min(m.length(), from + len);
                return m.slice(from, to);
            }
            return BytesSpec.biased(Math.min(len, 6), seed, 0);
        }

        @Override
        public String toString() {
            return kind == 0 ? "piece@" + at + "‰+" + len : "random" + Math.min(len, 6) + "/" + seed;
        }
    }

    static Arbitrary<Needle> needles() {
        return Combinators.combine(
                Arbitraries.integers().between(0, 1),
                Arbitraries.integers().between(0, 1000),
                Arbitraries.frequencyOf(
                        Tuple.of(8, Arbitraries.integers().between(0, 6)),
                        Tuple.of(1, Arbitraries.integers().between(0, 5000))),
                Arbitraries.longs()).as(Needle::new);
    }

    /** heap, heap with slack around the window, direct, read-only. */
    static ByteBuffer wrap(byte[] d, int variant, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int before = variant == 0 ? 0 : r.nextInt(40);
        int after = variant == 0 ? 0 : r.nextInt(40);
        ByteBuffer b;
        if (variant == 2) {
            b = ByteBuffer.allocateDirect(before + d.length + after);
        } else {
            b = ByteBuffer.allocate(before + d.length + after);
        }
        for (int i = 0; i < before + d.length + after; i++) {
            b.put(i, (byte) '\n'); // slack full of line ends, which must never show up
        }
        b.put(before, d);
        b.position(before).limit(before + d.length);
        return variant == 3 ? b.asReadOnlyBuffer() : b;
    }

    // ================================================================== adding

    Action<EvBufferModelState> addBytes() {
        return independent(Combinators.combine(buf(), bytes(), Arbitraries.integers().between(0, 4))
                .as((i, spec, v) -> step("b" + i + ".add(" + spec + ", variant " + v + ")", s -> {
                    byte[] d = spec.make();
                    EvBuffer b = s.bufs[i];
                    Call op;
                    ByteBuffer[] src = new ByteBuffer[1];
                    if (v == 0) {
                        op = () -> b.add(d);
                    } else if (v == 1) {
                        byte[] padded = new byte[d.length + 7];
                        Arrays.fill(padded, (byte) '\r');
                        System.arraycopy(d, 0, padded, 3, d.length);
                        op = () -> b.add(padded, 3, d.length);
                    } else {
                        src[0] = wrap(d, v - 1, spec.seed());
                        op = () -> b.add(src[0]);
                    }
                    if (s.frozenEnd[i]) {
                        refused("add", false, op);
                        return;
                    }
                    op.run();
                    if (src[0] != null) {
                        ok(!src[0].hasRemaining(), "add(ByteBuffer) did not advance the source's position");
                    }
                    s.models[i].append(d, 0);
                })));
    }

    private static final int[] CODE_POINTS = {'\r', '\n', 0, 'a', 'b', 'z', 0xe9, 0x20ac, 0x1f600};
    private static final Charset[] CHARSETS = {StandardCharsets.UTF_8, StandardCharsets.ISO_8859_1,
        StandardCharsets.UTF_16LE, StandardCharsets.US_ASCII};

    static String text(BytesSpec spec) {
        SplittableRandom r = new SplittableRandom(spec.seed());
        StringBuilder sb = new StringBuilder();
        int n = Math.min(spec.size(), 5000);
        for (int k = 0; k < n; k++) {
            sb.appendCodePoint(CODE_POINTS[r.nextInt(CODE_POINTS.length)]);
        }
        return sb.toString();
    }

    Action<EvBufferModelState> addString() {
        return independent(Combinators.combine(buf(), bytes(), Arbitraries.integers().between(0, CHARSETS.length - 1))
                .as((i, spec, c) -> step("b" + i + ".add(text " + spec + ", " + CHARSETS[c] + ")", s -> {
                    String t = text(spec);
                    byte[] d = t.getBytes(CHARSETS[c]);
                    if (s.frozenEnd[i]) {
                        refused("add(String)", false, () -> s.bufs[i].add(t, CHARSETS[c]));
                        return;
                    }
                    eq(d.length, s.bufs[i].add(t, CHARSETS[c]), "add(String) result");
                    s.models[i].append(d, 0);
                })));
    }

    private static final String[] FORMATS = {"%s", "%d:%s\r\n", "%08x|%-6s|%c\n", "%%%s%%%n", "%s\0%5.2f"};

    Action<EvBufferModelState> addPrintf() {
        return independent(Combinators.combine(buf(), Arbitraries.integers().between(0, FORMATS.length - 1),
                        bytes(Arbitraries.integers().between(0, 300)), Arbitraries.integers())
                .as((i, f, spec, n) -> step("b" + i + ".addPrintf(" + FORMATS[f].replace("\r", "\\r")
                        .replace("\n", "\\n").replace("\0", "\\0") + ", " + spec + ", " + n + ")", s -> {
                    String t = text(spec);
                    Object[] args;
                    switch (f) {
                        case 0:
                        case 3:
                            args = new Object[] {t};
                            break;
                        case 1:
                            args = new Object[] {n, t};
                            break;
                        case 2:
                            args = new Object[] {n, t, (char) ('a' + Math.floorMod(n, 26))};
                            break;
                        default:
                            args = new Object[] {t, n / 7.0};
                    }
                    byte[] d = String.format(Locale.ROOT, FORMATS[f], args).getBytes(StandardCharsets.UTF_8);
                    if (s.frozenEnd[i]) {
                        refused("addPrintf", false, () -> s.bufs[i].addPrintf(FORMATS[f], args));
                        return;
                    }
                    eq(d.length, s.bufs[i].addPrintf(FORMATS[f], args), "addPrintf result");
                    s.models[i].append(d, 0);
                })));
    }

    Action<EvBufferModelState> addIovec() {
        return independent(Combinators.combine(buf(), bytes().list().ofMaxSize(4),
                        Arbitraries.integers().between(0, 3))
                .as((i, specs, v) -> step("b" + i + ".addIovec(" + specs + ", variant " + v + ")", s -> {
                    ByteBuffer[] vec = new ByteBuffer[specs.size()];
                    byte[][] ds = new byte[specs.size()][];
                    long total = 0;
                    for (int k = 0; k < vec.length; k++) {
                        ds[k] = specs.get(k).make();
                        vec[k] = wrap(ds[k], (v + k) % 4, specs.get(k).seed());
                        total += ds[k].length;
                    }
                    if (s.frozenEnd[i]) {
                        refused("addIovec", false, () -> s.bufs[i].addIovec(vec));
                        return;
                    }
                    eq(total, s.bufs[i].addIovec(vec), "addIovec result");
                    for (int k = 0; k < vec.length; k++) {
                        ok(!vec[k].hasRemaining(), "addIovec did not advance vector " + k);
                        s.models[i].append(ds[k], 0);
                    }
                })));
    }

    Action<EvBufferModelState> prepend() {
        return independent(Combinators.combine(buf(), bytes(), Arbitraries.integers().between(0, 4))
                .as((i, spec, v) -> step("b" + i + ".prepend(" + spec + ", variant " + v + ")", s -> {
                    byte[] d = spec.make();
                    EvBuffer b = s.bufs[i];
                    Call op;
                    ByteBuffer[] src = new ByteBuffer[1];
                    if (v == 0) {
                        op = () -> b.prepend(d);
                    } else if (v == 1) {
                        byte[] padded = new byte[d.length + 9];
                        System.arraycopy(d, 0, padded, 5, d.length);
                        op = () -> b.prepend(padded, 5, d.length);
                    } else {
                        src[0] = wrap(d, v - 1, spec.seed());
                        op = () -> b.prepend(src[0]);
                    }
                    if (s.frozenFront[i]) {
                        refused("prepend", d.length == 0, op);
                        return;
                    }
                    op.run();
                    if (src[0] != null) {
                        ok(!src[0].hasRemaining(), "prepend(ByteBuffer) did not advance the source's position");
                    }
                    s.models[i].prepend(d, 0);
                })));
    }

    // ================================================================== moving between buffers

    Action<EvBufferModelState> addBuffer() {
        return independent(Combinators.combine(buf(), buf()).as((d, src) -> step("b" + d + ".addBuffer(b" + src + ")", s -> {
            boolean noOp = d.equals(src) || s.models[src].length() == 0;
            if (!d.equals(src) && (s.frozenEnd[d] || s.frozenFront[src])) {
                refused("addBuffer", noOp, () -> s.bufs[d].addBuffer(s.bufs[src]));
                return;
            }
            s.bufs[d].addBuffer(s.bufs[src]);
            if (!d.equals(src)) {
                s.models[src].moveTo(s.models[d], s.models[src].length());
                s.expectReportedFirst(src, d, "addBuffer");
            }
        })));
    }

    Action<EvBufferModelState> prependBuffer() {
        return independent(Combinators.combine(buf(), buf()).as((d, src) -> step("b" + d + ".prependBuffer(b" + src + ")", s -> {
            boolean noOp = d.equals(src) || s.models[src].length() == 0;
            if (!d.equals(src) && (s.frozenFront[d] || s.frozenFront[src])) {
                refused("prependBuffer", noOp, () -> s.bufs[d].prependBuffer(s.bufs[src]));
                return;
            }
            s.bufs[d].prependBuffer(s.bufs[src]);
            if (!d.equals(src)) {
                s.models[src].moveToFront(s.models[d]);
                s.expectReportedFirst(src, d, "prependBuffer");
            }
        })));
    }

    Action<EvBufferModelState> addBufferReference() {
        return independent(Combinators.combine(buf(), buf()).as((d, src) -> step("b" + d + ".addBufferReference(b" + src + ")", s -> {
            if (d.equals(src)) {
                expectThrows(IllegalArgumentException.class, "addBufferReference(self)",
                        () -> s.bufs[d].addBufferReference(s.bufs[src]));
                return;
            }
            if (s.frozenEnd[d]) {
                refused("addBufferReference", s.models[src].length() == 0,
                        () -> s.bufs[d].addBufferReference(s.bufs[src]));
                return;
            }
            s.bufs[d].addBufferReference(s.bufs[src]);
            ByteModel m = s.models[src];
            int[] tags = m.tagSlice(0, m.length());
            java.util.Map<Integer, Integer> alias = new java.util.HashMap<>();
            for (int k = 0; k < tags.length; k++) {
                if (tags[k] > 0) {
                    tags[k] = alias.computeIfAbsent(tags[k], s::aliasOf);
                }
            }
            s.models[d].append(m.bytes(), tags);
            maybeStale(s, src); // the source's segments became shared
        })));
    }

    Action<EvBufferModelState> removeBuffer() {
        return independent(Combinators.combine(buf(), buf(), amounts(false))
                .as((src, d, amt) -> step("b" + src + ".removeBuffer(b" + d + ", " + amt + ")", s -> {
                    long len = s.models[src].length();
                    long n = amt.of(len);
                    long moved = Math.min(n, len);
                    boolean same = d.equals(src);
                    if (s.frozenFront[src] || s.frozenEnd[d]) {
                        refused("removeBuffer", same || moved == 0, () -> s.bufs[src].removeBuffer(s.bufs[d], n));
                        return;
                    }
                    long r = s.bufs[src].removeBuffer(s.bufs[d], n);
                    if (same) {
                        eq(0, r, "removeBuffer(self) result");
                        return;
                    }
                    eq(moved, r, "removeBuffer result");
                    ByteModel m = s.models[src];
                    // A cut inside lent memory copies the part that moves, as libevent does: the
                    // destination holds a copy, and the lender's cleanup waits for the source only.
                    int cutTag = moved > 0 && moved < len && m.tag((int) moved - 1) == m.tag((int) moved)
                            ? m.tag((int) moved) : 0;
                    m.moveTo(s.models[d], (int) moved);
                    if (cutTag > 0) {
                        s.models[d].untagTail(cutTag, (int) moved);
                    }
                    if (moved == len) {
                        s.expectReportedFirst(src, d, "removeBuffer of everything");
                    } else {
                        s.expectReportedFirst(d, src, "removeBuffer of part");
                    }
                })));
    }

    // ================================================================== taking out

    Action<EvBufferModelState> drain() {
        return independent(Combinators.combine(buf(), amounts(false)).as((i, amt) -> step("b" + i + ".drain(" + amt + ")", s -> {
            long n = amt.of(s.models[i].length());
            int k = (int) Math.min(n, s.models[i].length());
            if (s.frozenFront[i]) {
                refused("drain", k == 0, () -> s.bufs[i].drain(n));
                return;
            }
            s.bufs[i].drain(n);
            s.models[i].drain(k);
        })));
    }

    Action<EvBufferModelState> remove() {
        return independent(Combinators.combine(buf(), amounts(false), Arbitraries.integers().between(0, 2))
                .as((i, amt, v) -> step("b" + i + ".remove(" + amt + ", variant " + v + ")", s -> {
                    ByteModel m = s.models[i];
                    int n = (int) Math.min(amt.of(m.length()), 60_000);
                    int k = Math.min(n, m.length());
                    byte[] dst = new byte[n + 4];
                    ByteBuffer bb = v == 2 ? ByteBuffer.allocateDirect(n + 4).position(2).limit(n + 2) : null;
                    Call op = v == 0 ? () -> s.bufs[i].remove(Arrays.copyOf(dst, n))
                            : v == 1 ? () -> s.bufs[i].remove(dst, 2, n) : () -> s.bufs[i].remove(bb);
                    if (s.frozenFront[i]) {
                        refused("remove", k == 0, op);
                        return;
                    }
                    byte[] got;
                    int r;
                    if (v == 0) {
                        byte[] out = new byte[n];
                        r = s.bufs[i].remove(out);
                        got = Arrays.copyOf(out, Math.max(0, Math.min(r, n)));
                    } else if (v == 1) {
                        r = s.bufs[i].remove(dst, 2, n);
                        got = Arrays.copyOfRange(dst, 2, 2 + Math.max(0, Math.min(r, n)));
                        ok(dst[0] == 0 && dst[1] == 0 && dst[n + 2] == 0 && dst[n + 3] == 0, "remove wrote outside its window");
                    } else {
                        r = s.bufs[i].remove(bb);
                        eq(2 + k, bb.position(), "remove(ByteBuffer) position");
                        got = new byte[Math.max(0, Math.min(r, n))];
                        bb.get(2, got);
                    }
                    eq(k, r, "remove result");
                    bytesEq(m.slice(0, k), got, "remove bytes");
                    m.drain(k);
                })));
    }

    Action<EvBufferModelState> copyout() {
        return independent(Combinators.combine(buf(), amounts(false), Arbitraries.integers().between(0, 2))
                .as((i, amt, v) -> step("b" + i + ".copyout(" + amt + ", variant " + v + ")", s -> {
                    ByteModel m = s.models[i];
                    int n = (int) Math.min(amt.of(m.length()), 60_000);
                    int k = Math.min(n, m.length());
                    byte[] dst = new byte[n + 4];
                    ByteBuffer bb = ByteBuffer.allocate(n + 4).position(1).limit(n + 1);
                    Call op = v == 0 ? () -> s.bufs[i].copyout(dst, 2, n)
                            : v == 1 ? () -> s.bufs[i].copyout(bb) : () -> s.bufs[i].copyout(new byte[n]);
                    if (s.frozenFront[i]) {
                        refused("copyout", false, op);
                        return;
                    }
                    byte[] got;
                    int r;
                    if (v == 0 || v == 2) {
                        r = s.bufs[i].copyout(dst, 2, n);
                        got = Arrays.copyOfRange(dst, 2, 2 + Math.max(0, Math.min(r, n)));
                        ok(dst[0] == 0 && dst[1] == 0 && dst[n + 2] == 0 && dst[n + 3] == 0, "copyout wrote outside its window");
                    } else {
                        r = s.bufs[i].copyout(bb);
                        eq(1 + k, bb.position(), "copyout(ByteBuffer) position");
                        got = Arrays.copyOfRange(bb.array(), 1, 1 + Math.max(0, Math.min(r, n)));
                    }
                    eq(k, r, "copyout result");
                    bytesEq(m.slice(0, k), got, "copyout bytes");
                })));
    }

    Action<EvBufferModelState> copyoutFrom() {
        return independent(Combinators.combine(buf(), amounts(false))
                .as((i, amt) -> step("b" + i + ".copyoutFrom(saved ptr, " + amt + ")", s -> {
                    ByteModel m = s.models[i];
                    EvBufferPtr p = s.ptrs[i];
                    long from = p.pos();
                    int n = (int) Math.min(amt.of(m.length()), 60_000);
                    byte[] dst = new byte[n + 2];
                    if (s.frozenFront[i]) {
                        refused("copyoutFrom", false, () -> s.bufs[i].copyoutFrom(p, dst, 1, n));
                        return;
                    }
                    if (from < 0 || from > m.length()) {
                        expectThrows(IllegalArgumentException.class, "copyoutFrom(" + from + ") of " + m.length(),
                                () -> s.bufs[i].copyoutFrom(p, dst, 1, n));
                        return;
                    }
                    int k = (int) Math.min(n, m.length() - from);
                    int r = s.bufs[i].copyoutFrom(p, dst, 1, n);
                    eq(k, r, "copyoutFrom(" + from + ") result");
                    bytesEq(m.slice((int) from, (int) from + k), Arrays.copyOfRange(dst, 1, 1 + k), "copyoutFrom(" + from + ") bytes");
                    ok(dst[0] == 0 && dst[n + 1] == 0, "copyoutFrom wrote outside its window");
                })));
    }

    Action<EvBufferModelState> pullup() {
        return independent(Combinators.combine(buf(), Arbitraries.frequencyOf(
                        Tuple.of(6, amounts(true)), Tuple.of(1, Arbitraries.just(new Amount(0, 0)))))
                .as((i, amt) -> step("b" + i + ".pullup(" + amt + ")", s -> {
                    ByteModel m = s.models[i];
                    long size = amt.of(m.length());
                    ByteBuffer v = s.bufs[i].pullup(size);
                    long want = size == -1 ? m.length() : size;
                    if (want == 0 || want > m.length()) {
                        ok(v == null, "pullup(" + size + ") of " + m.length() + " bytes should be null, was " + v);
                        return;
                    }
                    ok(v != null, "pullup(" + size + ") of " + m.length() + " bytes returned null");
                    maybeStale(s, i);
                    eq(0, v.position(), "pullup view position");
                    eq(want, v.remaining(), "pullup view remaining");
                    ok(v.isReadOnly(), "pullup view is writable");
                    byte[] got = new byte[(int) want];
                    v.get(0, got);
                    bytesEq(m.slice(0, (int) want), got, "pullup bytes");
                    ok(s.bufs[i].getContiguousSpace() >= want, "after pullup(" + want + ") contiguous space is only "
                            + s.bufs[i].getContiguousSpace());
                })));
    }

    // ================================================================== space at the end

    Action<EvBufferModelState> expand() {
        return independent(Combinators.combine(buf(), sizes(), Arbitraries.of(false, true))
                .as((i, n, fill) -> step("b" + i + ".expand(" + n + ")" + (fill ? " then add " + n : ""), s -> {
                    s.bufs[i].expand(n);
                    maybeStale(s, i);
                    if (fill && !s.frozenEnd[i]) {
                        byte[] d = BytesSpec.biased(n, n, 1);
                        long before = SegmentPool.current().outstanding();
                        s.bufs[i].add(d);
                        eq(before, SegmentPool.current().outstanding(),
                                "pooled segments taken by an add of " + n + " right after expand(" + n + ")");
                        s.models[i].append(d, 0);
                    }
                })));
    }

    Action<EvBufferModelState> reserve() {
        return independent(Combinators.combine(buf(), sizes(), Arbitraries.frequency(
                        Tuple.of(3, 1), Tuple.of(4, 2), Tuple.of(1, 3), Tuple.of(1, 4)),
                        Arbitraries.longs(), Arbitraries.integers().between(0, 2))
                .as((i, size, nvec, seed, fill) -> step("b" + i + ".reserveSpace(" + size + ", " + nvec + " vectors, fill "
                        + fill + "/" + seed + ")", s -> {
                    ByteBuffer[] vec = new ByteBuffer[nvec];
                    if (s.frozenEnd[i]) {
                        refused("reserveSpace", false, () -> s.bufs[i].reserveSpace(size, vec));
                        return;
                    }
                    int count = s.bufs[i].reserveSpace(size, vec);
                    ok(count >= 1 && count <= nvec, "reserveSpace returned " + count + " for " + nvec + " vectors");
                    if (nvec == 1) {
                        ok(vec[0].remaining() >= size, "one-vector reservation of " + size + " has " + vec[0].remaining());
                    }
                    long room = 0;
                    for (int k = 0; k < count; k++) {
                        eq(0, vec[k].position(), "reserved view " + k + " position");
                        ok(!vec[k].isReadOnly(), "reserved view is read-only");
                        room += vec[k].remaining();
                    }
                    ok(room >= size, "reserveSpace(" + size + ") gave only " + room + " bytes");
                    // Write something into each view: all of the asked size spread in order (0),
                    // a random prefix of each view (1), or everything available (2, capped).
                    SplittableRandom r = new SplittableRandom(seed);
                    Reservation res = new Reservation();
                    res.vec = vec;
                    res.count = count;
                    res.written = new byte[count][];
                    long left = fill == 0 ? size : Long.MAX_VALUE;
                    for (int k = 0; k < count; k++) {
                        int w;
                        if (fill == 0) {
                            w = (int) Math.min(left, vec[k].remaining());
                            left -= w;
                        } else if (fill == 1) {
                            w = r.nextInt(Math.min(vec[k].remaining(), 50_000) + 1);
                        } else {
                            w = Math.min(vec[k].remaining(), 50_000);
                        }
                        byte[] d = BytesSpec.biased(w, r.nextLong(), 0);
                        vec[k].put(d);
                        res.written[k] = d;
                    }
                    s.reservations[i] = res;
                })));
    }

    Action<EvBufferModelState> commit() {
        return new Action.Independent<>() {
            @Override
            public boolean precondition(EvBufferModelState s) {
                for (Reservation r : s.reservations) {
                    if (r != null) {
                        return true;
                    }
                }
                return false;
            }

            @Override
            public Arbitrary<Transformer<EvBufferModelState>> transformer() {
                return Combinators.combine(buf(), Arbitraries.integers().between(0, 4),
                                Arbitraries.frequency(Tuple.of(3, 1000), Tuple.of(2, -1), Tuple.of(1, 0)))
                        .as((i0, nParam, keep) -> step("commitSpace(first reservation from b" + i0 + ", n " + nParam
                                + ", keep " + (keep < 0 ? "random" : keep + "‰") + ")", s -> {
                            int i = i0;
                            while (s.reservations[i] == null) {
                                i = (i + 1) % EvBufferModelState.N;
                            }
                            Reservation res = s.reservations[i];
                            int n = Math.min(nParam, res.count);
                            SplittableRandom r = new SplittableRandom(nParam * 31L + keep);
                            byte[][] committed = new byte[n][];
                            long total = 0;
                            for (int k = 0; k < n; k++) {
                                int w = res.written[k].length;
                                int c = keep < 0 ? r.nextInt(w + 1) : (int) ((long) w * keep / 1000);
                                res.vec[k].position(c);
                                committed[k] = Arrays.copyOf(res.written[k], c);
                                total += c;
                            }
                            EvBuffer b = s.bufs[i];
                            String what = "b" + i + ".commitSpace(" + n + " of " + res.count + ", " + total + " bytes, "
                                    + res.validity + ")";
                            if (s.frozenEnd[i]) {
                                refused(what, total == 0, () -> b.commitSpace(res.vec, n));
                                return;
                            }
                            if (n == 0) {
                                b.commitSpace(res.vec, 0);
                                return;
                            }
                            s.reservations[i] = null;
                            if (res.validity == Validity.STALE) {
                                expectThrows(IllegalStateException.class, what + " after a change", () -> b.commitSpace(res.vec, n));
                                return;
                            }
                            if (res.validity == Validity.EITHER) {
                                try {
                                    b.commitSpace(res.vec, n);
                                } catch (IllegalStateException refusedAfterRearrangement) {
                                    return;
                                }
                            } else {
                                b.commitSpace(res.vec, n);
                            }
                            for (byte[] c : committed) {
                                s.models[i].append(c, 0);
                            }
                        }));
            }
        };
    }

    // ================================================================== looking

    Action<EvBufferModelState> peek() {
        return independent(Combinators.combine(buf(), amounts(true), Arbitraries.of(false, true),
                        Arbitraries.of(-1, 0, 1, 2, 4, 200))
                .as((i, amt, fromPtr, room) -> step("b" + i + ".peek(" + amt + ", " + (fromPtr ? "saved ptr" : "null")
                        + ", " + (room < 0 ? "null" : room + " vectors") + ")", s -> {
                    ByteModel m = s.models[i];
                    EvBufferPtr p = fromPtr ? s.ptrs[i] : null;
                    long start = p == null ? 0 : p.pos();
                    long len = amt.of(m.length());
                    ByteBuffer[] vec = room < 0 ? null : new ByteBuffer[room];
                    EvBuffer b = s.bufs[i];
                    if (start < 0 || start > m.length()) {
                        expectThrows(IllegalArgumentException.class, "peek from " + start + " of " + m.length(),
                                () -> b.peek(len, p, vec));
                        return;
                    }
                    int n = b.peek(len, p, vec);
                    int needed = b.peek(len, p, null);
                    if (len < 0 && vec != null && vec.length > 0) {
                        // "everything" with views to fill: as many as they hold, as in libevent
                        eq(Math.min(needed, vec.length), n, "peek(-1) with " + vec.length + " vectors");
                    } else {
                        eq(needed, n, "peek count with vectors against counting only");
                    }
                    long rest = m.length() - start;
                    if (rest == 0 || len == 0) {
                        eq(0, n, "peek of nothing");
                        return;
                    }
                    long want = len < 0 ? rest : Math.min(len, rest);
                    ok(n >= 1, "peek returned " + n);
                    int filled = vec == null ? 0 : Math.min(n, vec.length);
                    long covered = 0;
                    long coveredBeforeLast = 0;
                    for (int k = 0; k < filled; k++) {
                        ByteBuffer v = vec[k];
                        ok(v.remaining() > 0, "peek vector " + k + " is empty");
                        ok(v.isReadOnly(), "peek vector " + k + " is writable");
                        byte[] got = new byte[v.remaining()];
                        v.duplicate().get(got);
                        ok(start + covered + got.length <= m.length(), "peek vector " + k + " runs past the end");
                        bytesEq(m.slice((int) (start + covered), (int) (start + covered + got.length)), got,
                                "peek vector " + k);
                        coveredBeforeLast = covered;
                        covered += got.length;
                    }
                    if (vec != null && needed <= vec.length) {
                        ok(covered >= want, "peek: " + n + " vectors cover " + covered + " < " + want);
                        ok(coveredBeforeLast < want, "peek: returned more vectors than needed for " + want);
                        if (len < 0) {
                            eq(rest, covered, "peek(-1) coverage");
                        }
                    }
                })));
    }

    /** A fresh pointer at an amount, or the saved one. */
    static EvBufferPtr startPtr(EvBufferModelState s, int i, int kind, Amount at) {
        if (kind == 0) {
            return null;
        }
        if (kind == 1) {
            return s.ptrs[i];
        }
        if (kind == 3) {
            return s.ptrs[(i + 1) % EvBufferModelState.N]; // a pointer another buffer cached
        }
        EvBufferPtr p = new EvBufferPtr();
        s.bufs[i].ptrSet(p, at.of(s.models[i].length()), PtrHow.SET);
        return p;
    }

    Action<EvBufferModelState> search() {
        return independent(Combinators.combine(buf(), needles(), Arbitraries.integers().between(0, 3), amounts(false))
                .as((i, nd, kind, at) -> step("b" + i + ".search(" + nd + ", from " + (kind == 0 ? "null" : kind == 1 ? "saved ptr" : kind == 3 ? "ptr of b" + ((i + 1) % 3) : at)
                        + ")", s -> {
                    ByteModel m = s.models[i];
                    byte[] what = nd.of(m);
                    EvBufferPtr p = startPtr(s, i, kind, at);
                    long from = p == null ? 0 : p.pos();
                    EvBuffer b = s.bufs[i];
                    if (from < 0 || from > m.length()) {
                        expectThrows(IllegalArgumentException.class, "search from " + from + " of " + m.length(),
                                () -> b.search(what, p));
                        return;
                    }
                    EvBufferPtr r = p == null ? b.search(what) : b.search(what, p);
                    long expected = m.search(what, from, m.length());
                    eq(expected, r.pos(), "search of " + what.length + " bytes from " + from);
                    eq(expected < 0 ? 0 : what.length, r.matchLength(), "search matchLength");
                    if (p == null) {
                        eq(expected, b.find(what), "find");
                    }
                })));
    }

    Action<EvBufferModelState> searchRange() {
        return independent(Combinators.combine(buf(), needles(), Arbitraries.integers().between(0, 3), amounts(false),
                        Arbitraries.of(false, true), amounts(false))
                .as((i, nd, kind, at, nullEnd, endAt) -> step("b" + i + ".searchRange(" + nd + ", from "
                        + (kind == 0 ? "null" : kind == 1 ? "saved ptr" : kind == 3 ? "ptr of b" + ((i + 1) % 3) : at) + ", to " + (nullEnd ? "null" : endAt) + ")", s -> {
                    ByteModel m = s.models[i];
                    byte[] what = nd.of(m);
                    EvBufferPtr p = startPtr(s, i, kind, at);
                    long from = p == null ? 0 : p.pos();
                    EvBufferPtr e = null;
                    if (!nullEnd) {
                        e = new EvBufferPtr();
                        s.bufs[i].ptrSet(e, endAt.of(m.length()), PtrHow.SET);
                    }
                    long end = e == null ? m.length() : e.pos();
                    EvBuffer b = s.bufs[i];
                    EvBufferPtr ef = e;
                    if (from < 0 || from > m.length() || end < 0 || end > m.length()) {
                        expectThrows(IllegalArgumentException.class, "searchRange " + from + ".." + end + " of " + m.length(),
                                () -> b.searchRange(what, p, ef));
                        return;
                    }
                    EvBufferPtr r = b.searchRange(what, p, e);
                    long expected = m.search(what, from, end);
                    eq(expected, r.pos(), "searchRange of " + what.length + " bytes in " + from + ".." + end);
                })));
    }

    Action<EvBufferModelState> searchAll() {
        return independent(Combinators.combine(buf(), needles())
                .as((i, nd) -> step("b" + i + ".search every " + nd, s -> {
                    ByteModel m = s.models[i];
                    byte[] what = nd.of(m);
                    if (what.length == 0) {
                        return;
                    }
                    EvBuffer b = s.bufs[i];
                    List<Long> got = new ArrayList<>();
                    EvBufferPtr p = b.search(what);
                    while (p.isValid() && got.size() < 40) {
                        got.add(p.pos());
                        ok(b.ptrSet(p, 1, PtrHow.ADD), "ptrSet ADD 1 after a match at " + p.pos());
                        p = b.search(what, p);
                    }
                    List<Long> expected = new ArrayList<>();
                    long q = m.search(what, 0, m.length());
                    while (q >= 0 && expected.size() < 40) {
                        expected.add(q);
                        q = m.search(what, q + 1, m.length());
                    }
                    ok(expected.equals(got), "every match of " + what.length + " bytes: expected " + expected + " got " + got);
                })));
    }

    Action<EvBufferModelState> searchEol() {
        return independent(Combinators.combine(buf(), Arbitraries.of(EolStyle.class), Arbitraries.integers().between(0, 2),
                        amounts(false))
                .as((i, style, kind, at) -> step("b" + i + ".searchEol every " + style + " from "
                        + (kind == 0 ? "null" : kind == 1 ? "saved ptr" : kind == 3 ? "ptr of b" + ((i + 1) % 3) : at), s -> {
                    ByteModel m = s.models[i];
                    EvBuffer b = s.bufs[i];
                    EvBufferPtr p = startPtr(s, i, kind, at);
                    long from = p == null ? 0 : p.pos();
                    if (from < 0 || from > m.length()) {
                        expectThrows(IllegalArgumentException.class, "searchEol from " + from + " of " + m.length(),
                                () -> b.searchEol(p, style));
                        return;
                    }
                    List<String> got = new ArrayList<>();
                    EvBufferPtr r = b.searchEol(p, style);
                    while (r.isValid() && got.size() < 40) {
                        got.add(r.pos() + "+" + r.matchLength());
                        ok(r.matchLength() > 0, "searchEol found an end of line of length 0");
                        ok(b.ptrSet(r, r.matchLength(), PtrHow.ADD), "ptrSet ADD past an end of line");
                        r = b.searchEol(r, style);
                    }
                    if (!r.isValid()) {
                        eq(0, r.matchLength(), "matchLength of a failed searchEol");
                    }
                    List<String> expected = new ArrayList<>();
                    long[] e = m.searchEol(from, style);
                    while (e[0] >= 0 && expected.size() < 40) {
                        expected.add(e[0] + "+" + e[1]);
                        e = m.searchEol(e[0] + e[1], style);
                    }
                    ok(expected.equals(got), style + " ends of line from " + from + ": expected " + expected + " got " + got);
                })));
    }

    Action<EvBufferModelState> readLine() {
        return independent(Combinators.combine(buf(), Arbitraries.of(EolStyle.class), Arbitraries.of(false, true))
                .as((i, style, asString) -> step("b" + i + ".readLine" + (asString ? "" : "Bytes") + "(" + style + ")", s -> {
                    ByteModel m = s.models[i];
                    EvBuffer b = s.bufs[i];
                    long[] e = m.searchEol(0, style);
                    if (s.frozenFront[i]) {
                        refused("readLine", e[0] < 0, () -> b.readLineBytes(style));
                        return;
                    }
                    byte[] expected = e[0] < 0 ? null : m.slice(0, (int) e[0]);
                    if (asString) {
                        String line = b.readLine(style);
                        String exp = expected == null ? null : new String(expected, StandardCharsets.UTF_8);
                        ok(java.util.Objects.equals(exp, line), "readLine(" + style + ") expected "
                                + (exp == null ? "null" : exp.length() + " chars") + " got " + (line == null ? "null" : line.length() + " chars"));
                    } else {
                        byte[] line = b.readLineBytes(style);
                        if (expected == null) {
                            ok(line == null, "readLineBytes(" + style + ") found a line the model does not have");
                        } else {
                            ok(line != null, "readLineBytes(" + style + ") found no line; model has one at " + e[0]);
                            bytesEq(expected, line, "readLineBytes(" + style + ")");
                        }
                    }
                    if (e[0] >= 0) {
                        m.drain((int) (e[0] + e[1]));
                    }
                })));
    }

    Action<EvBufferModelState> ptrSet() {
        return independent(Combinators.combine(buf(), Arbitraries.of(PtrHow.class), amounts(false),
                        Arbitraries.frequency(Tuple.of(9, 1), Tuple.of(1, -1)))
                .as((i, how, amt, sign) -> step("b" + i + ".ptrSet(saved, " + (sign < 0 ? "-" : "") + amt + ", " + how + ")", s -> {
                    ByteModel m = s.models[i];
                    EvBufferPtr p = s.ptrs[i];
                    long before = p.pos();
                    long v = sign * (how == PtrHow.SET ? amt.of(m.length()) : amt.of(Math.max(0, m.length() - Math.max(0, before))));
                    boolean expectOk;
                    long target;
                    if (how == PtrHow.SET) {
                        target = v;
                        expectOk = v >= 0 && v <= m.length();
                    } else {
                        target = before + v;
                        expectOk = before >= 0 && v >= 0 && target <= m.length();
                    }
                    boolean r = s.bufs[i].ptrSet(p, v, how);
                    ok(r == expectOk, "ptrSet(" + before + ", " + v + ", " + how + ") of " + m.length() + " returned " + r);
                    eq(expectOk ? target : -1, p.pos(), "position after ptrSet");
                })));
    }

    // ================================================================== lent memory and files

    Action<EvBufferModelState> addReference() {
        return independent(Combinators.combine(buf(), bytes(), Arbitraries.integers().between(0, 4))
                .as((i, spec, v) -> step("b" + i + ".addReference(" + spec + ", variant " + v + ")", s -> {
                    byte[] d = spec.make();
                    Ref ref = new Ref();
                    ref.tracked = v != 4;
                    ref.tag = ref.tracked ? s.newTag() : 0;
                    ref.what = "reference #" + ref.tag + " (" + spec + ", variant " + v + ")";
                    ByteBuffer lent;
                    if (v == 0 || v == 4) {
                        byte[] arr = new byte[d.length + 6];
                        Arrays.fill(arr, (byte) '\n');
                        System.arraycopy(d, 0, arr, 3, d.length);
                        ref.original = ByteBuffer.wrap(arr);
                        ref.pos = 3;
                        ref.limit = 3 + d.length;
                        lent = null;
                    } else {
                        ByteBuffer w = wrap(d, v == 3 ? 1 : v, spec.seed());
                        ByteBuffer writable = w;
                        if (v == 3) {
                            writable = wrap(d, 1, spec.seed());
                            w = writable.asReadOnlyBuffer();
                        }
                        ref.original = writable;
                        ref.pos = w.position();
                        ref.limit = w.limit();
                        lent = w;
                    }
                    ref.expected = d.clone();
                    ReferenceCleanup cleanup = ref.tracked ? data -> {
                        ref.cleanups++;
                        if (data.position() != ref.pos || data.limit() != ref.limit) {
                            s.errors.add("cleanup of " + ref.what + " got position " + data.position() + ", limit "
                                    + data.limit() + " instead of " + ref.pos + ", " + ref.limit);
                        }
                        // the lender reuses its memory now: anything still reading it sees garbage
                        for (int k = ref.pos; k < ref.limit; k++) {
                            ref.original.put(k, (byte) 0x7f);
                        }
                    } : null;
                    EvBuffer b = s.bufs[i];
                    Call op = lent == null ? () -> b.addReference(ref.original.array(), 3, d.length, cleanup)
                            : () -> b.addReference(lent, cleanup);
                    if (s.frozenEnd[i]) {
                        refused("addReference", false, op);
                        eq(0, ref.cleanups, "cleanup calls after a refused addReference");
                        return;
                    }
                    s.refs.add(ref);
                    op.run();
                    if (lent != null) {
                        eq(ref.pos, lent.position(), "addReference moved the lent buffer's position");
                    }
                    s.models[i].append(d, ref.tag);
                })));
    }

    /**
     * Many tiny lent pieces in one step, so that a buffer holds more segments than one gathering
     * write takes (128); each addReference reports its own callback here.
     */
    Action<EvBufferModelState> addManyReferences() {
        return independent(Combinators.combine(buf(), Arbitraries.integers().between(100, 300), Arbitraries.longs())
                .as((i, count, seed) -> step("b" + i + ".addReference x" + count + " tiny pieces/" + seed, s -> {
                    if (s.frozenEnd[i] || s.deferred[i] || s.oneShotArmed[i]) {
                        return;
                    }
                    SplittableRandom r = new SplittableRandom(seed);
                    EvBuffer b = s.bufs[i];
                    ByteModel m = s.models[i];
                    long orig = m.length();
                    long len = orig;
                    for (int k = 0; k < count; k++) {
                        byte[] d = BytesSpec.biased(1 + r.nextInt(5), r.nextLong(), 0);
                        Ref ref = new Ref();
                        ref.tracked = true;
                        ref.tag = s.newTag();
                        ref.what = "tiny reference #" + ref.tag;
                        ref.original = ByteBuffer.wrap(d.clone());
                        ref.pos = 0;
                        ref.limit = d.length;
                        ref.expected = d;
                        s.refs.add(ref);
                        b.addReference(ref.original.duplicate(), data -> {
                            ref.cleanups++;
                            for (int j = ref.pos; j < ref.limit; j++) {
                                ref.original.put(j, (byte) 0x7f);
                            }
                        });
                        m.append(d, ref.tag);
                        len += d.length;
                    }
                    List<long[]> log = s.cbLog[i];
                    if (s.cbEnabled[i]) {
                        eq(count, log.size(), "callback reports for " + count + " addReference calls");
                        long at = orig;
                        for (long[] e : log) {
                            ok(e[0] == at && e[1] > 0 && e[2] == 0 && e[3] == at + e[1], "callback report "
                                    + Arrays.toString(e) + " at length " + at);
                            at += e[1];
                        }
                        eq(len, at, "sum of reported additions");
                    } else {
                        ok(log.isEmpty(), "disabled callback ran");
                    }
                    log.clear();
                    m.beginStep(); // reported above, one by one
                    if (s.reservations[i] != null) {
                        s.reservations[i].validity = Validity.STALE;
                    }
                    ok(b.segmentCount() >= count, "tiny references were copied, not referenced: " + b.segmentCount() + " segments");
                })));
    }

    Action<EvBufferModelState> addFile() {
        return independent(Combinators.combine(buf(), amounts(false), amounts(true))
                .as((i, offAmt, lenAmt) -> step("b" + i + ".addFile(" + offAmt + ", " + lenAmt + ")", s -> {
                    long size = EvBufferModelState.FILE_BYTES.length;
                    long off = offAmt.of(size);
                    long len = lenAmt.kind() == 3 ? -1 : lenAmt.of(size - Math.min(off, size));
                    FileChannel ch = EvBufferModelState.openFile();
                    s.fileChannels.add(ch);
                    EvBuffer b = s.bufs[i];
                    if (s.frozenEnd[i]) {
                        refused("addFile", false, () -> b.addFile(ch, off, len));
                        ok(!ch.isOpen(), "addFile refused but left the channel open");
                        return;
                    }
                    long real = len == -1 ? Math.max(0, size - off) : len;
                    if (off + real > size) {
                        expectThrows(IllegalArgumentException.class, "addFile(" + off + ", " + len + ") of " + size,
                                () -> b.addFile(ch, off, len));
                        ok(!ch.isOpen(), "addFile failed but left the channel open");
                        return;
                    }
                    b.addFile(ch, off, len);
                    s.models[i].append(Arrays.copyOfRange(EvBufferModelState.FILE_BYTES, (int) off, (int) (off + real)),
                            ByteModel.FILE);
                })));
    }

    Action<EvBufferModelState> addFileSegment() {
        return independent(Combinators.combine(buf(), Arbitraries.integers().between(0, 1), amounts(false), amounts(false))
                .as((i, which, offAmt, lenAmt) -> step("b" + i + ".addFileSegment(#" + which + ", " + offAmt + ", " + lenAmt + ")", s -> {
                    while (s.fileSegs.size() <= which) {
                        FileSeg fs = new FileSeg();
                        fs.channel = EvBufferModelState.openFile();
                        fs.closeOnFree = s.fileSegs.isEmpty();
                        fs.seg = fs.closeOnFree ? FileSegment.create(fs.channel, 0, -1, FileSegment.EVBUF_FS_CLOSE_ON_FREE)
                                : FileSegment.create(fs.channel, 777, 30_000, 0);
                        fs.seg.addCleanupCallback((seg, flags) -> fs.cleanups++);
                        s.fileSegs.add(fs);
                    }
                    FileSeg fs = s.fileSegs.get(which);
                    long segLen = fs.seg.length();
                    long off = offAmt.of(segLen);
                    long len = lenAmt.of(segLen - Math.min(off, segLen));
                    EvBuffer b = s.bufs[i];
                    if (s.frozenEnd[i]) {
                        refused("addFileSegment", false, () -> b.addFileSegment(fs.seg, off, len));
                        return;
                    }
                    if (off + len > segLen) {
                        expectThrows(IllegalArgumentException.class, "addFileSegment(" + off + ", " + len + ") of " + segLen,
                                () -> b.addFileSegment(fs.seg, off, len));
                        return;
                    }
                    b.addFileSegment(fs.seg, off, len);
                    int from = (int) (fs.seg.offset() + off);
                    s.models[i].append(Arrays.copyOfRange(EvBufferModelState.FILE_BYTES, from, (int) (from + len)), ByteModel.FILE);
                })));
    }

    // ================================================================== channels

    Action<EvBufferModelState> readFrom() {
        // Now and then more than four large segments hold (70,000+ bytes), so one read needs
        // a single big segment instead of a scatter.
        Arbitrary<Integer> big = Arbitraries.frequencyOf(Tuple.of(10, sizes()),
                Tuple.of(1, Arbitraries.integers().between(69_000, 90_000)));
        return independent(Combinators.combine(buf(), bytes(big), Arbitraries.of(false, true),
                        Arbitraries.frequency(Tuple.of(1, 1), Tuple.of(1, 100), Tuple.of(3, 1 << 20)),
                        Arbitraries.frequencyOf(Tuple.of(10, amounts(true)),
                                Tuple.of(1, Arbitraries.integers().between(69_000, 90_000).map(v -> new Amount(0, v)))),
                        Arbitraries.of(false, true))
                .as((i, spec, eof, cap, amt, plain) -> step("b" + i + ".readFrom(" + spec + (eof ? " then EOF" : "")
                        + ", cap " + cap + ", howmuch " + amt + (plain ? ", plain channel" : "") + ")", s -> {
                    byte[] in = spec.make();
                    MemChannel ch = new MemChannel(in, eof, cap);
                    EvBuffer b = s.bufs[i];
                    int howmuch = (int) amt.of(4096);
                    if (s.frozenEnd[i]) {
                        refused("readFrom", false, () -> b.readFrom(plain ? new PlainChannel(ch) : ch, howmuch));
                        return;
                    }
                    int n = b.readFrom(plain ? new PlainChannel(ch) : ch, howmuch);
                    maybeStale(s, i); // a read may set up new space at the end even when it reads nothing
                    int want = howmuch == -1 ? b.getMaxRead() : howmuch;
                    if (want == 0) {
                        eq(0, n, "readFrom(0)");
                        return;
                    }
                    if (in.length == 0) {
                        eq(eof ? -1 : 0, n, "readFrom an " + (eof ? "ended" : "empty") + " channel");
                        return;
                    }
                    int exp = Math.min(want, Math.min(in.length, cap));
                    if (plain) {
                        ok(n >= 1 && n <= exp, "readFrom a plain channel read " + n + ", at most " + exp + " expected");
                    } else {
                        eq(exp, n, "readFrom a scattering channel");
                    }
                    s.models[i].append(Arrays.copyOf(in, n), 0);
                })));
    }

    Action<EvBufferModelState> setMaxRead() {
        return independent(Combinators.combine(buf(), Arbitraries.integers().between(-1, 20_000))
                .as((i, n) -> step("b" + i + ".setMaxRead(" + n + ")", s -> {
                    if (n <= 0) {
                        expectThrows(IllegalArgumentException.class, "setMaxRead(" + n + ")", () -> s.bufs[i].setMaxRead(n));
                        return;
                    }
                    s.bufs[i].setMaxRead(n);
                    eq(n, s.bufs[i].getMaxRead(), "getMaxRead");
                })));
    }

    Action<EvBufferModelState> writeTo() {
        return independent(Combinators.combine(buf(),
                        Arbitraries.frequency(Tuple.of(1, 0), Tuple.of(1, 1), Tuple.of(2, 1000), Tuple.of(3, 1 << 20)),
                        amounts(true), Arbitraries.of(false, true))
                .as((i, cap, amt, plain) -> step("b" + i + ".writeTo(cap " + cap + ", howmuch " + amt
                        + (plain ? ", plain channel" : "") + ")", s -> {
                    ByteModel m = s.models[i];
                    MemChannel ch = new MemChannel(new byte[0], false, cap);
                    EvBuffer b = s.bufs[i];
                    long howmuch = amt.of(m.length());
                    long want = howmuch == -1 ? m.length() : Math.min(howmuch, m.length());
                    if (s.frozenFront[i]) {
                        refused("writeTo", want == 0, () -> b.writeTo(plain ? new PlainChannel(ch) : ch, howmuch));
                        return;
                    }
                    boolean fileFirst = m.length() > 0 && m.tag(0) == ByteModel.FILE;
                    int segments = b.segmentCount();
                    long n = b.writeTo(plain ? new PlainChannel(ch) : ch, howmuch);
                    byte[] written = ch.out.toByteArray();
                    eq(n, written.length, "writeTo result against bytes the channel got");
                    ok(n <= want, "writeTo wrote " + n + " of " + want);
                    if (want > 0 && cap > 0) {
                        ok(n > 0, "writeTo wrote nothing though the channel took " + cap);
                    }
                    if (!fileFirst) {
                        ok(n <= cap, "writeTo wrote more than one call can take");
                        if (!plain && segments <= 128 && !m.anyTag(0, (int) Math.min(want, cap), ByteModel.FILE)) {
                            eq(Math.min(want, cap), n, "writeTo a gathering channel");
                        }
                    }
                    bytesEq(m.slice(0, (int) n), written, "bytes written");
                    m.drain((int) n);
                })));
    }

    /**
     * readFrom a real {@link Pipe}: the bytes that fit the pipe are written into its sink first,
     * then one read; what the pipe returns is up to the kernel, so only bounds are exact.
     */
    Action<EvBufferModelState> readFromPipe() {
        return independent(Combinators.combine(buf(), bytes(), amounts(true), Arbitraries.of(false, true))
                .as((i, spec, amt, closeSink) -> step("b" + i + ".readFrom(pipe holding " + spec
                        + (closeSink ? " then EOF" : "") + ", howmuch " + amt + ")", s -> {
                    byte[] in = spec.make();
                    EvBuffer b = s.bufs[i];
                    int howmuch = (int) amt.of(4096);
                    Pipe p = Pipe.open();
                    try {
                        p.sink().configureBlocking(false);
                        p.source().configureBlocking(false);
                        int put = p.sink().write(ByteBuffer.wrap(in));
                        if (closeSink) {
                            p.sink().close();
                        }
                        if (s.frozenEnd[i]) {
                            refused("readFrom(pipe)", false, () -> b.readFrom(p.source(), howmuch));
                            return;
                        }
                        int n = b.readFrom(p.source(), howmuch);
                        maybeStale(s, i);
                        int want = howmuch == -1 ? b.getMaxRead() : howmuch;
                        if (want == 0) {
                            eq(0, n, "readFrom(pipe, 0)");
                            return;
                        }
                        if (put == 0) {
                            eq(closeSink ? -1 : 0, n, "readFrom an " + (closeSink ? "ended" : "empty") + " pipe");
                            return;
                        }
                        ok(n >= 1 && n <= Math.min(want, put), "readFrom(pipe) read " + n + " of " + put + ", wanted " + want);
                        s.models[i].append(Arrays.copyOf(in, n), 0);
                    } finally {
                        p.sink().close();
                        p.source().close();
                    }
                })));
    }

    /** writeTo a real non-blocking {@link Pipe} (file ranges go with transferTo into it). */
    Action<EvBufferModelState> writeToPipe() {
        return independent(Combinators.combine(buf(), amounts(true))
                .as((i, amt) -> step("b" + i + ".writeTo(pipe, howmuch " + amt + ")", s -> {
                    ByteModel m = s.models[i];
                    EvBuffer b = s.bufs[i];
                    long howmuch = amt.of(m.length());
                    long want = howmuch == -1 ? m.length() : Math.min(howmuch, m.length());
                    Pipe p = Pipe.open();
                    try {
                        p.sink().configureBlocking(false);
                        p.source().configureBlocking(false);
                        if (s.frozenFront[i]) {
                            refused("writeTo(pipe)", want == 0, () -> b.writeTo(p.sink(), howmuch));
                            return;
                        }
                        long n = b.writeTo(p.sink(), howmuch);
                        ok(n >= 0 && n <= want, "writeTo(pipe) wrote " + n + " of " + want);
                        if (want > 0) {
                            ok(n > 0, "writeTo(pipe) wrote nothing into an empty pipe");
                        }
                        p.sink().close();
                        ByteBuffer got = ByteBuffer.allocate((int) n + 1);
                        while (got.hasRemaining() && p.source().read(got) > 0) {
                            // drain what the pipe holds
                        }
                        eq(n, got.position(), "bytes the pipe got against what writeTo returned");
                        byte[] g = Arrays.copyOf(got.array(), (int) n);
                        bytesEq(m.slice(0, (int) n), g, "bytes written to the pipe");
                        m.drain((int) n);
                    } finally {
                        p.sink().close();
                        p.source().close();
                    }
                })));
    }

    // ================================================================== freezing, life cycle

    Action<EvBufferModelState> freeze() {
        return independent(Combinators.combine(buf(), Arbitraries.of(true, false))
                .as((i, front) -> step("b" + i + ".freeze(" + (front ? "front" : "end") + ")", s -> {
                    s.bufs[i].freeze(front);
                    if (front) {
                        s.frozenFront[i] = true;
                    } else {
                        s.frozenEnd[i] = true;
                    }
                })));
    }

    Action<EvBufferModelState> unfreeze() {
        return independent(Combinators.combine(buf(), Arbitraries.of(true, false))
                .as((i, front) -> step("b" + i + ".unfreeze(" + (front ? "front" : "end") + ")", s -> {
                    s.bufs[i].unfreeze(front);
                    if (front) {
                        s.frozenFront[i] = false;
                    } else {
                        s.frozenEnd[i] = false;
                    }
                })));
    }

    // ================================================================== callbacks

    Action<EvBufferModelState> callbackFlags() {
        return independent(Combinators.combine(buf(), Arbitraries.of(true, false))
                .as((i, enable) -> step("b" + i + ".cb" + (enable ? "Set" : "Clear") + "Flags(ours, EVBUFFER_CB_ENABLED)", s -> {
                    if (enable) {
                        s.bufs[i].callbackSetFlags(s.entries[i], EvBuffer.EVBUFFER_CB_ENABLED);
                    } else {
                        s.bufs[i].callbackClearFlags(s.entries[i], EvBuffer.EVBUFFER_CB_ENABLED);
                    }
                    ok(((s.entries[i].flags() & EvBuffer.EVBUFFER_CB_ENABLED) != 0) == enable, "entry flags " + s.entries[i].flags());
                    s.cbEnabled[i] = enable;
                })));
    }

    Action<EvBufferModelState> callbackReRegister() {
        return independent(Combinators.combine(buf(), Arbitraries.integers().between(0, 2))
                .as((i, v) -> step("b" + i + (v == 0 ? ".removeCallback(ours) + addCallback" : v == 1 ? ".removeCallbackEntry(ours) twice + addCallback"
                        : ".setCallback(null) + addCallback"), s -> {
                    EvBuffer b = s.bufs[i];
                    if (v == 0) {
                        ok(b.removeCallback(s.callbacks[i]), "removeCallback of a registered callback returned false");
                        ok(!b.removeCallback(s.callbacks[i]), "removeCallback of a removed callback returned true");
                    } else if (v == 1) {
                        b.removeCallbackEntry(s.entries[i]);
                        expectThrows(IllegalArgumentException.class, "removeCallbackEntry of a removed entry",
                                () -> b.removeCallbackEntry(s.entries[i]));
                    } else {
                        b.setCallback(null);
                        s.oneShotArmed[i] = false;
                    }
                    s.entries[i] = b.addCallback(s.callbacks[i]);
                    s.cbEnabled[i] = true;
                })));
    }

    Action<EvBufferModelState> armOneShot() {
        return independent(buf().map(i -> step("b" + i + ".addCallback(self-removing)", s -> {
            if (s.deferred[i] || s.oneShotArmed[i]) {
                return;
            }
            CallbackEntry[] self = new CallbackEntry[1];
            List<long[]> log = s.oneShotLog[i];
            self[0] = s.bufs[i].addCallback((buf, info) -> {
                log.add(new long[] {info.origSize(), info.nAdded(), info.nDeleted(), buf.getLength()});
                buf.removeCallbackEntry(self[0]);
            });
            s.oneShotArmed[i] = true;
        })));
    }

    Action<EvBufferModelState> deferCallbacks() {
        return independent(buf().map(i -> step("b" + i + ".deferCallbacks(queue)", s -> {
            if (s.deferred[i] || s.oneShotArmed[i]) {
                return;
            }
            List<Runnable> q = s.deferQueue[i];
            s.bufs[i].deferCallbacks(q::add);
            s.deferred[i] = true;
            s.pending[i] = false;
        })));
    }

    Action<EvBufferModelState> runDeferred() {
        return independent(buf().map(i -> step("run b" + i + "'s deferred callbacks", s -> {
            List<Runnable> q = s.deferQueue[i];
            ok(q.size() <= 1, "deferred callbacks queued " + q.size() + " times");
            ok(q.isEmpty() || s.pending[i], "deferred callbacks queued though nothing changed");
            if (s.deferred[i] && s.pending[i]) {
                ok(q.size() == 1, "changes since the last run but no deferred run was queued");
            }
            List<Runnable> run = new ArrayList<>(q);
            q.clear();
            run.forEach(Runnable::run);
            if (s.pending[i]) {
                EvBufferModelState.expectReport("run deferred", i, s.cbLog[i], s.cbEnabled[i], s.pendOrig[i],
                        s.pendAdded[i], s.pendDeleted[i], "deferred callback");
            } else {
                ok(s.cbLog[i].isEmpty(), "deferred callback ran with nothing to report");
            }
            s.pending[i] = false;
            s.cbLog[i].clear();
        })));
    }

    Action<EvBufferModelState> recycle() {
        return independent(buf().map(i -> step("b" + i + ".free() and replace", s -> {
            EvBuffer b = s.bufs[i];
            b.free();
            new ArrayList<>(s.deferQueue[i]).forEach(Runnable::run); // a deferred run after free reports nothing
            ok(s.cbLog[i].isEmpty() && s.oneShotLog[i].isEmpty(), "free() ran callbacks");
            ok(b.isFreed() && b.getLength() == 0, "freed buffer still has bytes");
            expectThrows(IllegalStateException.class, "add to a freed buffer", () -> b.add(new byte[] {1}));
            expectThrows(IllegalStateException.class, "drain a freed buffer", () -> b.drain(1));
            expectThrows(IllegalStateException.class, "reserveSpace on a freed buffer",
                    () -> b.reserveSpace(10, new ByteBuffer[1]));
            s.fresh(i);
            s.models[i].beginStep();
        })));
    }
}
