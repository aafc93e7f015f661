package org.jevent.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The main job of README.md: the demo runs every step and says ok to each. */
@Timeout(120)
class DemoTest {
    @Test
    void demoRunsEveryStepAndExitsZero() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int rc = Main.run(new String[] {"demo"}, out);
        String table = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, table);
        assertFalse(table.contains("FAILED"), table);
        for (String step : new String[] {"parse CRLF lines", "move 1 MiB", "64 MiB through a pipe",
                "echo over loopback bufferevents", "TLS: upgrade", "no segment leaked"}) {
            assertTrue(table.lines().anyMatch(l -> l.startsWith(step) && l.contains(" ok ")), step + " missing:\n" + table);
        }
    }

    @Test
    void listsTheExamplesWithoutArguments() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int rc = Main.run(new String[0], new PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertEquals(0, rc);
        assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("demo"));
    }

    @Test
    void anUnknownExampleIsRefused() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int rc = Main.run(new String[] {"no-such-example"}, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertEquals(2, rc);
    }
}
