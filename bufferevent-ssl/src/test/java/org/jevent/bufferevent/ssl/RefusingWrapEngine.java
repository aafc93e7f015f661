package org.jevent.bufferevent.ssl;

import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;

/**
 * A real engine whose data wraps can be made to fail: a write-side failure on demand, which no
 * real engine gives after its handshake. Counts the delegated tasks it hands out, so that a test
 * can tell the pump ran some. Wrap a JDK engine ({@link ForwardingEngine}).
 */
final class RefusingWrapEngine extends ForwardingEngine {
    private boolean refuseDataWraps;
    private int tasksHandedOut;

    RefusingWrapEngine(SSLEngine inner) {
        super(inner);
    }

    /** From now on, a wrap with plaintext to encrypt throws instead. */
    void refuseDataWraps() {
        refuseDataWraps = true;
    }

    int tasksHandedOut() {
        return tasksHandedOut;
    }

    @Override
    public SSLEngineResult wrap(ByteBuffer[] srcs, int offset, int length, ByteBuffer dst) throws SSLException {
        if (refuseDataWraps) {
            for (int i = offset; i < offset + length; i++) {
                if (srcs[i].hasRemaining()) {
                    throw new SSLException("wrap refused by the test engine");
                }
            }
        }
        return super.wrap(srcs, offset, length, dst);
    }

    @Override
    public Runnable getDelegatedTask() {
        Runnable task = super.getDelegatedTask();
        if (task != null) {
            tasksHandedOut++;
        }
        return task;
    }
}
