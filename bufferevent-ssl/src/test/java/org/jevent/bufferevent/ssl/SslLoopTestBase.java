package org.jevent.bufferevent.ssl;

import java.util.ArrayList;
import java.util.List;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.AfterEach;

/**
 * One event base per test, and everything a test opens closed after it, newest first, then the
 * base freed: bufferevent's LoopTestBase for the TLS tests that came after it.
 */
abstract class SslLoopTestBase {
    protected final EventBase base = new EventBase();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeEverythingThenFreeTheBase() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        base.free();
    }

    /** Closes {@code c} after the test, whatever its outcome; returns it. */
    protected <T extends AutoCloseable> T closeLater(T c) {
        toClose.add(c);
        return c;
    }
}
