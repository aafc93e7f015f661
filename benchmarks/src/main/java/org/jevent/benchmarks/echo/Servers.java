package org.jevent.benchmarks.echo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The echo servers a load run can drive, by name, and where the external ones live.
 *
 * <p>The benchmark's own servers ({@link EchoServer}: {@code jevent}, {@code netty}, {@code nio},
 * {@code jevent-tls-*}, {@code netty-tls-*}) run in a JVM the driver pins and talks to. The
 * external ones are programs as their users run them: {@code jevent-example} and
 * {@code jevent-example-tls} (jevent's {@code echo-server} example on Conscrypt;
 * {@code jevent-example-tls-jdk} on the JDK provider, {@code jevent-example-tls-tcnative} on
 * BoringSSL through netty-tcnative), {@code libevent} and {@code libevent-tls}
 * (libevent 2.1's bufferevents, {@code bufferevent_openssl_socket_new} for TLS; built from
 * {@code benchmarks/c/libevent-echo.c} by {@code benchmarks/build-libevent-echo.sh}). A name
 * with {@code tls} in it is a TLS server.
 *
 * <p>A Netty server or the example may carry an event-loop count, {@code NAME:N}: the example
 * then runs with {@code --loops N} (an {@code EventBaseGroup}), Netty with N worker threads
 * beside its boss. Without it: one loop, as before. {@code --servers loops} is the 1&rarr;2 loop
 * curve ({@link LoopCurve}).
 *
 * <p>A Java server may carry a JVM variant, {@code NAME@VARIANT} (after any {@code :N}), for the
 * cost of jevent's observability hooks ({@link JfrCost}): {@code @nojfr} runs it with
 * {@code -Djevent.jfr=false} (JFR events and the loop-stall detector compiled out), {@code @jfr}
 * with a flight recording from the start ({@code -XX:StartFlightRecording}, default settings, in
 * which jevent's events are on; the file is dumped at exit beside the logs). The example may also
 * run {@code @pinned}: with the heap the benchmark's own servers get ({@code -Xms} = {@code -Xmx}
 * = {@code --server-heap}, {@code -XX:+AlwaysPreTouch}), so that its idle memory is counted as
 * theirs is, heap plus RSS, instead of the RSS of a heap that grows. Without a variant:
 * the hooks as shipped, JVM defaults, and no recording. {@code --servers jfr} is the example, plain and TLS,
 * in the three variants, each trio next to each other.
 */
final class Servers {
    static final List<String> PLAIN = List.of("jevent", "netty", "nio");
    static final List<String> TLS = List.of("jevent-tls-conscrypt", "netty-tls-conscrypt", "jevent-tls-jdk",
            "netty-tls-jdk", "netty-tls-openssl");
    /**
     * {@code --servers issue14}: the comparison of issue 14, plain and TLS in one run: the
     * example (as users run it, and on the peers' pinned heap) beside the benchmark's jevent
     * server, Netty (JDK, Conscrypt, BoringSSL), plain NIO and libevent.
     */
    static final List<String> ISSUE14 = List.of("jevent-example", "jevent-example@pinned", "jevent", "netty", "nio",
            "libevent", "jevent-example-tls", "jevent-example-tls@pinned", "jevent-tls-conscrypt", "netty-tls-jdk",
            "netty-tls-conscrypt", "netty-tls-openssl", "libevent-tls");
    /**
     * {@code --servers loops}: the example on 1 and 2 loops, Netty on 1 and 2 worker threads;
     * each pair next to each other, so that the two runs of a ratio shared the machine's load.
     */
    static final List<String> LOOPS = List.of("jevent-example:1", "jevent-example:2", "netty:1", "netty:2");
    /**
     * {@code --servers jfr}: the {@code echo-server} example with the hooks as shipped, with them
     * compiled out, and under a recording; plain, then TLS (Conscrypt).
     */
    static final List<String> JFR = List.of("jevent-example", "jevent-example@nojfr", "jevent-example@jfr",
            "jevent-example-tls", "jevent-example-tls@nojfr", "jevent-example-tls@jfr");
    /** The JVM variants a Java server may carry ({@code NAME@VARIANT}). */
    static final List<String> VARIANTS = List.of("nojfr", "jfr", "pinned");
    private static final Set<String> KNOWN = Set.of("jevent", "netty", "nio", "jevent-tls-conscrypt",
            "jevent-tls-jdk", "jevent-tls-tcnative", "netty-tls-jdk", "netty-tls-openssl", "netty-tls-conscrypt",
            "netty-tls-conscrypt-bare", "jevent-example", "jevent-example-b", "jevent-example-tls", "jevent-example-tls-jdk", "jevent-example-tls-tcnative", "libevent",
            "libevent-tls");

    private Servers() {
    }

    /**
     * {@code --servers} value: names (with {@code :N} for the event loops of Netty and the
     * example), or {@code plain}, {@code tls}, {@code issue14}, {@code loops} for those lists.
     */
    static List<String> parse(String list) {
        List<String> out = new ArrayList<>();
        for (String s : list.split(",")) {
            switch (s) {
                case "plain" -> out.addAll(PLAIN);
                case "tls" -> out.addAll(TLS);
                case "issue14" -> out.addAll(ISSUE14);
                case "loops" -> out.addAll(LOOPS);
                case "jfr" -> out.addAll(JFR);
                default -> {
                    if (!KNOWN.contains(base(s))) {
                        throw new IllegalArgumentException("unknown server " + s + "; known: " + KNOWN);
                    }
                    if (!variant(s).isEmpty() && (!VARIANTS.contains(variant(s)) || s.startsWith("libevent"))) {
                        throw new IllegalArgumentException(s + ": a Java server takes @nojfr, @jfr or @pinned");
                    }
                    if (variant(s).equals("pinned") && !isExample(s)) {
                        throw new IllegalArgumentException(s + ": only the example takes @pinned (the benchmark's"
                                + " own servers always run on a pinned heap)");
                    }
                    if (hasLoops(s) && !(isExample(s) || s.startsWith("netty"))) {
                        throw new IllegalArgumentException(s + ": only Netty and the example run on several loops"
                                + " (NAME:N)");
                    }
                    loops(s); // a count that is no number, or below 1, fails here
                    out.add(s);
                }
            }
        }
        return out;
    }

    /** The name without its loop count and variant: {@code netty:2} and {@code jevent@nojfr} are {@code netty}, {@code jevent}. */
    static String base(String server) {
        return withoutVariant(server).split(":", 2)[0];
    }

    /** The name without its variant: {@code jevent-example:2@jfr} is {@code jevent-example:2}. */
    static String withoutVariant(String server) {
        int at = server.indexOf('@');
        return at < 0 ? server : server.substring(0, at);
    }

    /** The VARIANT of {@code NAME@VARIANT}, or "" without one. */
    static String variant(String server) {
        int at = server.indexOf('@');
        return at < 0 ? "" : server.substring(at + 1);
    }

    /**
     * The JVM options of the server's variant: {@code -Djevent.jfr=false} for {@code @nojfr}, a
     * flight recording dumped at exit into {@code dir} for {@code @jfr}, the benchmark servers'
     * pre-touched heap of {@code heap} (young {@code young}) for {@code @pinned}; none without one.
     */
    static List<String> variantJvmArgs(String server, Path dir, String heap, String young) throws IOException {
        switch (variant(server)) {
            case "" -> {
                return List.of();
            }
            case "nojfr" -> {
                return List.of("-Djevent.jfr=false");
            }
            case "pinned" -> {
                return List.of("-Xms" + heap, "-Xmx" + heap, "-Xmn" + young, "-XX:+AlwaysPreTouch");
            }
            case "jfr" -> {
                Files.createDirectories(dir);
                Path file = Files.createTempFile(dir, server.replace(':', '-').replace('@', '-') + "-", ".jfr");
                System.err.println("  recording to " + file);
                return List.of("-XX:StartFlightRecording=settings=default,dumponexit=true,filename=" + file);
            }
            default -> throw new IllegalArgumentException(server + ": unknown variant");
        }
    }

    /** Where server logs and recordings go: {@code -Djevent.echo.logDir}, default {@code /tmp/jevent-echo-logs}. */
    static Path logDir() {
        return Path.of(System.getProperty("jevent.echo.logDir", "/tmp/jevent-echo-logs"));
    }

    /** The N of {@code NAME:N}, or 1 without a count. */
    static int loops(String server) {
        String name = withoutVariant(server);
        int colon = name.indexOf(':');
        if (colon < 0) {
            return 1;
        }
        int n;
        try {
            n = Integer.parseInt(name.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(server + ": the loop count after ':' is not a number");
        }
        if (n < 1) {
            throw new IllegalArgumentException(server + ": at least one loop");
        }
        return n;
    }

    /** True when the name carries a loop count ({@code NAME:N}). */
    static boolean hasLoops(String server) {
        return withoutVariant(server).indexOf(':') >= 0;
    }

    static boolean isTls(String server) {
        return server.contains("tls");
    }

    static boolean isExample(String server) {
        return server.startsWith("jevent-example");
    }

    static boolean isExternal(String server) {
        return isExample(server) || server.startsWith("libevent");
    }

    /** {@code benchmarks/target}, from where this benchmark's jar is. */
    private static Path targetDir() {
        String cp = System.getProperty("java.class.path").split(java.io.File.pathSeparator)[0];
        return Path.of(cp).toAbsolutePath().getParent(); // of target/benchmarks.jar, or of target/classes
    }

    /**
     * The examples' runnable jar: {@code -Djevent.echo.examplesJar}, or
     * {@code examples/target/jevent-examples.jar} beside this module.
     */
    static Path examplesJar() throws IOException {
        return examplesJar("jevent-example");
    }

    /**
     * The examples' jar {@code server} runs from: for {@code jevent-example-b}, the second build
     * named by {@code -Djevent.echo.examplesJarB} (to compare two builds of the library within
     * each round: {@code --servers jevent-example,jevent-example-b}); for the others
     * {@link #examplesJar()}.
     */
    static Path examplesJar(String server) throws IOException {
        if (base(server).equals("jevent-example-b")) {
            String b = System.getProperty("jevent.echo.examplesJarB");
            if (b == null || !Files.isRegularFile(Path.of(b))) {
                throw new IOException("jevent-example-b needs -Djevent.echo.examplesJarB=PATH of another examples jar");
            }
            return Path.of(b);
        }
        String set = System.getProperty("jevent.echo.examplesJar");
        Path jar = set != null ? Path.of(set) : targetDir().getParent().getParent().resolve(
                "examples/target/jevent-examples.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IOException("no examples jar at " + jar + ": build it with"
                    + " mvn -B -pl examples -am package -DskipTests (or set -Djevent.echo.examplesJar)");
        }
        return jar;
    }

    /**
     * The libevent echo server: {@code -Djevent.echo.libeventEcho}, or
     * {@code benchmarks/target/libevent-echo}, built first by {@code build-libevent-echo.sh} when
     * it is not there.
     */
    static Path libeventEcho() throws IOException {
        return cProgram("jevent.echo.libeventEcho", "libevent-echo", "build-libevent-echo.sh");
    }

    /**
     * The C load client of {@code --stream-client c} ({@link CStreamLoad}):
     * {@code -Djevent.echo.echoLoad}, or {@code benchmarks/target/echo-load}, built first by
     * {@code build-echo-load.sh} when it is not there.
     */
    static Path echoLoad() throws IOException {
        return cProgram("jevent.echo.echoLoad", "echo-load", "build-echo-load.sh");
    }

    /**
     * The program named by system property {@code property}, or {@code name} in the target
     * directory, built by {@code script} (beside this module's pom) when it is not there.
     * Synchronized: runs side by side ({@link TogetherRun}) must not build it twice at once.
     */
    private static synchronized Path cProgram(String property, String name, String script) throws IOException {
        String set = System.getProperty(property);
        if (set != null) {
            return Path.of(set);
        }
        Path bin = targetDir().resolve(name);
        if (!Files.isExecutable(bin)) {
            Path build = targetDir().getParent().resolve(script);
            System.err.println("# building " + bin + " with " + build);
            try {
                Process p = ChildProcesses.start(new ProcessBuilder("bash", build.toString()).inheritIO());
                if (p.waitFor() != 0 || !Files.isExecutable(bin)) {
                    throw new IOException(build + " failed (exit " + p.exitValue() + ")");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        return bin;
    }
}
