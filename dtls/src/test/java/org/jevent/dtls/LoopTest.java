package org.jevent.dtls;

import java.util.ArrayList;
import java.util.List;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.AfterEach;

/** One loop per test, and everything the test opened closed after it, last opened first. */
abstract class LoopTest {
    protected final EventBase base = new EventBase();
    private final List<AutoCloseable> open = new ArrayList<>();

    protected <T extends AutoCloseable> T track(T c) {
        open.add(c);
        return c;
    }

    /** A PSK server factory with the Qt example's hint and key, bound to this loop and closed after the test. */
    protected BcPskDtls pskServerFactory() {
        return track(BcPskDtls.server().build().bind(base));
    }

    /** A PSK client factory with the Qt example's key, bound to this loop and closed after the test. */
    protected BcPskDtls pskClientFactory(String identity) {
        return track(BcPskDtls.client(identity, BcPskDtls.QT_EXAMPLE_KEY).build().bind(base));
    }

    @AfterEach
    void closeEverything() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        base.free();
    }
}
