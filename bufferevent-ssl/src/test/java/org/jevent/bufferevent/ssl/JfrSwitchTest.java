package org.jevent.bufferevent.ssl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The master switch of the observability hooks, {@code -Djevent.jfr=false}, across the three
 * modules that have them: a child JVM ({@link JfrSwitchMain}) records every jevent event while it
 * stalls a loop and runs a TLS connection. Without the property each of the five event types
 * fires (so the count can see them) and the stall is logged; with it none fires, no stall is
 * reported, and the connection and {@code getRunningEvent} work as before.
 */
@Timeout(120)
class JfrSwitchTest {

    @Test
    void withoutThePropertyEveryJeventEventFires() throws Exception {
        Child c = run();
        for (String name : JfrSwitchMain.EVENTS) {
            assertTrue(c.counts.get(name) > 0, name + " did not fire:\n" + c.output);
        }
        assertTrue(c.output.contains("loop stall: "), c.output);
        assertEquals("true", c.values.get("running"), c.output);
        assertEquals("6", c.values.get("echoed"), c.output);
    }

    @Test
    void jeventJfrFalseCompilesEveryHookOut() throws Exception {
        Child c = run("-Djevent.jfr=false");
        for (String name : JfrSwitchMain.EVENTS) {
            assertEquals(0L, c.counts.get(name), name + " fired with -Djevent.jfr=false:\n" + c.output);
        }
        assertFalse(c.output.contains("loop stall"), c.output);
        assertFalse(c.output.contains("jevent-stall-watchdog"), c.output);
        assertEquals("true", c.values.get("running"), "getRunningEvent still names the running event\n" + c.output);
        assertEquals("6", c.values.get("echoed"), c.output);
    }

    /** What a child printed: the event counts, its other {@code key=value} lines, and all of its output. */
    private record Child(Map<String, Long> counts, Map<String, String> values, String output) {
    }

    private static Child run(String... jvmOptions) throws Exception {
        ChildJvm.Result child = ChildJvm.run(JfrSwitchMain.class, 60, jvmOptions);
        String out = child.output();
        assertEquals(0, child.exit(), out);
        Map<String, Long> counts = new HashMap<>();
        Map<String, String> values = new HashMap<>();
        for (String line : out.split("\n")) {
            int eq = line.indexOf('=');
            if (line.startsWith("org.jevent.") && eq > 0) {
                counts.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1).trim()));
            } else if (eq > 0 && !line.contains(" ")) {
                values.put(line.substring(0, eq), line.substring(eq + 1).trim());
            }
        }
        assertEquals(JfrSwitchMain.EVENTS.size(), counts.size(), out);
        return new Child(counts, values, out);
    }
}
