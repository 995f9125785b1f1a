package org.opencmg.channel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * Two endpoints joined byte for byte, both ways: an upgraded exchange (WebSocket frames between a
 * device and an internal server) once both ends agreed to it. Each side reads again only when the
 * other took its last bytes, so a slow reader slows its writer instead of filling memory, and an
 * idle pipe holds no buffer. One side's end of input ends the other's output; a failure closes both.
 * Nothing flows until both connections are open (each end opens its side when its own handshake
 * answer is written), and bytes read past a handshake are passed on first.
 */
public final class Pipe {

    private static final int BUFFER = 16 * 1024;

    private Pipe() {}

    /** The connections to install on {@code a} and {@code b} (by upgrade, or set and opened by the caller). */
    public static Connection[] between(EndPoint a, EndPoint b, Executor executor, ByteBufferPool pool) {
        var ab = new Side(a, b, executor, pool);
        var ba = new Side(b, a, executor, pool);
        ab.other = ba;
        ba.other = ab;
        return new Connection[] {ab, ba};
    }

    private static final class Side extends AbstractConnection implements Connection.UpgradeTo {
        private final EndPoint to;
        private final ByteBufferPool pool;
        private Side other;
        private volatile boolean inputEnded;
        private boolean opened;
        private boolean started;
        private ByteBuffer prefilled;

        Side(EndPoint from, EndPoint to, Executor executor, ByteBufferPool pool) {
            super(from, executor);
            this.to = to;
            this.pool = pool;
        }

        @Override
        public void onUpgradeTo(ByteBuffer buffer) {
            if (BufferUtil.hasContent(buffer)) {
                prefilled = BufferUtil.copy(buffer);
            }
        }

        @Override
        public void onOpen() {
            super.onOpen();
            Side first = this.hashCode() <= other.hashCode() ? this : other;
            synchronized (first) {
                opened = true;
                if (other.opened && !started) {
                    started = true;
                    other.started = true;
                    other.flow();
                    flow();
                }
            }
        }

        private void flow() {
            ByteBuffer early = prefilled;
            prefilled = null;
            if (early != null) {
                to.write(Callback.from(this::fillInterested, this::closeBoth), early);
            } else {
                fillInterested();
            }
        }

        @Override
        public void onFillable() {
            RetainableByteBuffer buffer = pool.acquire(BUFFER, false);
            ByteBuffer bytes = buffer.getByteBuffer();
            BufferUtil.clear(bytes);
            try {
                int n = getEndPoint().fill(bytes);
                if (n > 0) {
                    to.write(
                            Callback.from(
                                    () -> {
                                        buffer.release();
                                        fillInterested();
                                    },
                                    x -> {
                                        buffer.release();
                                        closeBoth(x);
                                    }),
                            bytes);
                    return;
                }
                buffer.release();
                if (n == 0) {
                    fillInterested();
                } else {
                    inputEnded = true;
                    to.shutdownOutput();
                    if (other.inputEnded) {
                        closeBoth(null);
                    }
                }
            } catch (IOException | RuntimeException e) {
                buffer.release();
                closeBoth(e);
            }
        }

        @Override
        public void onClose(Throwable cause) {
            super.onClose(cause);
            to.close(cause);
        }

        private void closeBoth(Throwable cause) {
            getEndPoint().close(cause);
            to.close(cause);
        }
    }
}
