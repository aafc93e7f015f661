package org.jevent.examples;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * {@code java -jar examples/target/jevent-examples.jar [example] [options]}: lists the examples
 * without arguments and runs the one named.
 */
public final class Main {
    private static final Map<String, Example> EXAMPLES = new LinkedHashMap<>();

    static {
        EXAMPLES.put("demo", new Example("the main job: exercises the library end to end and prints what it did",
                (args, out) -> new Demo(out).run(args)));
        EXAMPLES.put("echo-server", new Example(EchoServer.SUMMARY, EchoServer::run));
        EXAMPLES.put("echo-client", new Example(EchoClient.SUMMARY, EchoClient::run));
        EXAMPLES.put("hello-world", new Example(HelloWorld.SUMMARY, HelloWorld::run));
        EXAMPLES.put("time-test", new Example(TimeTest.SUMMARY, TimeTest::run));
        EXAMPLES.put("signal-test", new Example(SignalTest.SUMMARY, SignalTest::run));
        EXAMPLES.put("le-proxy", new Example(LeProxy.SUMMARY, LeProxy::run));
        EXAMPLES.put("becat", new Example(Becat.SUMMARY, Becat::run));
        EXAMPLES.put("pg-tls-proxy", new Example(PgTlsProxy.SUMMARY, PgTlsProxy::run));
        EXAMPLES.put("dtls-server", new Example(DtlsServerExample.SUMMARY, DtlsServerExample::run));
        EXAMPLES.put("dtls-client", new Example(DtlsClientExample.SUMMARY, DtlsClientExample::run));
    }

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out));
    }

    static int run(String[] args, PrintStream out) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            out.println("usage: java -jar jevent-examples.jar <example> [options]   (<example> --help for its options)");
            out.println();
            for (Map.Entry<String, Example> e : EXAMPLES.entrySet()) {
                out.printf("  %-14s %s%n", e.getKey(), e.getValue().summary);
            }
            return 0;
        }
        Example ex = EXAMPLES.get(args[0]);
        if (ex == null) {
            out.println("no example named '" + args[0] + "'; run without arguments for the list");
            return 2;
        }
        return ex.main.apply(Arrays.copyOfRange(args, 1, args.length), out);
    }

    private static final class Example {
        final String summary;
        final BiFunction<String[], PrintStream, Integer> main;

        Example(String summary, BiFunction<String[], PrintStream, Integer> main) {
            this.summary = summary;
            this.main = main;
        }
    }
}
