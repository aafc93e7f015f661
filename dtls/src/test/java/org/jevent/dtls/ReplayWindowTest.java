package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ReplayWindowTest {
    private final ReplayWindow w = new ReplayWindow();

    @Test
    void acceptsNewRefusesSeenAndTooOld() {
        assertFalse(w.isReplay(1, 5));
        w.mark(1, 5);
        assertTrue(w.isReplay(1, 5));
        assertFalse(w.isReplay(1, 4), "reordered, not yet seen");
        w.mark(1, 4);
        assertTrue(w.isReplay(1, 4));
        w.mark(1, 100);
        assertTrue(w.isReplay(1, 100));
        assertTrue(w.isReplay(1, 36), "64 behind the highest: outside the window");
        assertFalse(w.isReplay(1, 37), "63 behind: inside, unseen");
        assertTrue(w.isReplay(1, 5), "long gone");
    }

    @Test
    void olderEpochRefusedNewerEpochStartsAfresh() {
        w.mark(1, 10);
        assertTrue(w.isReplay(0, 99));
        assertFalse(w.isReplay(2, 0));
        w.mark(2, 0);
        assertTrue(w.isReplay(1, 11), "epoch 1 is over");
        assertTrue(w.isReplay(2, 0));
        assertFalse(w.isReplay(2, 1));
    }

    @Test
    void unmarkedRecordsStayAcceptable() {
        // A forged record is checked but never marked: the real one with that number still passes.
        assertFalse(w.isReplay(1, 7));
        assertFalse(w.isReplay(1, 7));
        w.mark(1, 7);
        assertTrue(w.isReplay(1, 7));
    }
}
