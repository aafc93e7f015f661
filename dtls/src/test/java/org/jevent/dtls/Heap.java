package org.jevent.dtls;

import java.lang.management.ManagementFactory;

/** The heap still in use after full collections: what a test retained, give or take noise. */
final class Heap {
    private Heap() {
    }

    /** @return bytes in use after a few {@code System.gc()} calls (each a full collection on G1) */
    static long retained() {
        for (int i = 0; i < 4; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
