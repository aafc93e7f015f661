package org.jevent.examples;

import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * The fault suite's attacks from the command line, against an echo server started by hand
 * (any build, for instance main's jar before issue 11), printing what each measured while a
 * verifying client keeps talking to the server:
 *
 * <pre>
 * java -cp examples/target/test-classes:examples/target/jevent-examples.jar org.jevent.examples.FaultProbe \
 *     CHECK PID PORT [tls] [N]
 * </pre>
 *
 * CHECK is {@code stalled} (8 ({@code -Dfirst}), then N more writers that never read, 64 MiB each at most), {@code deadline}
 * ({@code -Dhold=S} keeps them open S seconds once stalled), {@code deadline}
 * (a trickled ClientHello and a truncated record, up to N seconds), {@code flood} (N rounds of
 * resets at every handshake stage), {@code overload} (N connections at once; start the server
 * under {@code ulimit -n}), {@code renegotiate} (N client-initiated renegotiations, TLS 1.2).
 * Exit status 0; the figures are the output.
 */
public final class FaultProbe {
    private FaultProbe() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.out.println("usage: FaultProbe stalled|deadline|flood|overload|renegotiate PID PORT [tls] [N]");
            System.exit(2);
        }
        String check = args[0];
        ProcStats server = new ProcStats(Long.parseLong(args[1]));
        int port = Integer.parseInt(args[2]);
        List<String> rest = new ArrayList<>(List.of(args).subList(3, args.length));
        boolean tls = rest.remove("tls");
        int n = rest.isEmpty() ? 0 : Integer.parseInt(rest.get(0));
        SSLContext ctx = tls || check.equals("flood") || check.equals("renegotiate") || check.equals("deadline") ? TlsStepper.insecureClient() : null;
        try (VerifyingClient good = new VerifyingClient(port, ctx).start()) {
            good.awaitServed(20, 30_000);
            Object result = switch (check) {
                case "stalled" -> FaultChecks.stalledWriters(server, port, ctx, Integer.getInteger("first", 8), n == 0 ? 16 : n, 64L << 20, 600_000,
                        r -> {
                            System.out.println("stalled: " + r + "; holding them " + Integer.getInteger("hold", 0) + " s");
                            Thread.sleep(Integer.getInteger("hold", 0) * 1000L); // -Dhold: time to look inside the server
                        });
                case "deadline" -> FaultChecks.handshakeDeadline(port, 1000, (n == 0 ? 60 : n) * 1000L);
                case "flood" -> FaultChecks.tlsFlood(server, port, ctx, n == 0 ? 100 : n, Integer.getInteger("threads", 4), good, 15_000);
                case "overload" -> FaultChecks.fdOverload(server, port, n == 0 ? 400 : n, 3000, good, 30_000, r -> { });
                case "renegotiate" -> FaultChecks.renegotiation(server, port, n == 0 ? 40 : n);
                default -> throw new IllegalArgumentException("unknown check " + check);
            };
            System.out.println(check + ": " + result);
            try {
                good.awaitServed(5, 30_000);
                System.out.println("good client: " + good.served() + " exchanges verified, failures " + good.failureCount() + " " + good.failures());
            } catch (AssertionError e) {
                System.out.println("good client NOT served afterwards: " + e.getMessage());
            }
        }
    }
}
