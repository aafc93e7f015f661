package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Pins the package documentation's advice: the JDK's DTLS server honours the JVM-wide
 * {@code jdk.tls.server.enableSessionTicketExtension=false} as its TLS server does: it sends no
 * NewSessionTicket, and a JDK client still resumes, by session ID from the server's session
 * cache. Each case runs {@link SessionTicketProbe} in a child JVM of its own, because
 * the JDK reads the property once, when its TLS classes initialize, and it must not leak into the
 * other tests of this JVM.
 */
class SessionTicketPropertyTest {

    private static String probe(String... jvmOptionsThenArgs) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        List<String> args = new ArrayList<>();
        for (String s : jvmOptionsThenArgs) {
            (s.startsWith("-") ? cmd : args).add(s);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), SessionTicketProbe.class.getName()));
        cmd.addAll(args);
        Path out = Files.createTempFile("ticket-probe", ".txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
            String text = Files.readString(out, StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), text);
            return text.lines().filter(l -> l.startsWith("connected=")).findFirst().orElse(text);
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(out);
        }
    }

    @Test
    void theJdkDtlsServerSendsNoTicketWithThePropertyFalseAndStillResumesBySessionId() throws Exception {
        String byDefault = probe();
        assertTrue(byDefault.matches("connected=true newSessionTickets=[1-9]\\d* resumed=true"), "by default: " + byDefault);
        assertEquals("connected=true newSessionTickets=0 resumed=true", probe("-Djdk.tls.server.enableSessionTicketExtension=false"),
                "with -Djdk.tls.server.enableSessionTicketExtension=false");
        assertEquals("connected=true newSessionTickets=0 resumed=true", probe("setProperty"),
                "with System.setProperty before the first TLS use");
    }
}
