package org.opencmg.server.pipeline;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.opencmg.api.Refusal;
import org.opencmg.server.refusal.RequestRefused;

/**
 * Step 4: the endpoint's maximum request length. A declared Content-Length over it is refused
 * (413) before a byte of body is read; a chunked body is counted while it streams and cut (413)
 * the moment it crosses the limit. A body trickled in slower than {@link #MIN_BYTES_PER_SECOND}
 * is cut too (408), and so is a body that stops: no byte for {@link #STALL_NANOS} while the
 * gateway waits for one (408 body_stalled, well before the idle timeout).
 */
public final class RequestLengthStep {

    /** About a 4 kbit/s link; counted over the time spent waiting for the device, not for the site. */
    static final long MIN_BYTES_PER_SECOND = 512;
    /** A body may start slowly (a TCP window opening, a handshake with a proxy) for this long. */
    static final long RATE_GRACE_NANOS = 5_000_000_000L;

    /** No byte for this long while the gateway waits for the device's body, and the body is cut. */
    static final long STALL_NANOS = 5_000_000_000L;

    public InputStream limitedBody(Request request, InputStream body, long maxBytes) {
        long declared = request.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
        if (declared > maxBytes) {
            throw tooLarge(declared + " declared, limit " + maxBytes);
        }
        if (!hasBody(request)) {
            return new CountingLimit(body, maxBytes, null);
        }
        var limit = new CountingLimit(body, maxBytes, request);
        // A chunk declared past the limit is refused when its size line arrives.
        if (request.getConnectionMetaData().getConnection() instanceof HttpConnection http
                && http.getParser() instanceof BodyLimit parser) {
            parser.limitBody(maxBytes, limit::refuseSize);
        }
        return started(limit);
    }

    /** Whether the request declares a body: a Content-Length above 0, or a transfer coding. */
    public static boolean hasBody(Request request) {
        return request.getLength() > 0 || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
    }

    /** The device's body broke off or its framing is bad: the device's fault, never the channel's. */
    public static RequestRefused bodyBroken(IOException e) {
        return new RequestRefused(Refusal.DEVICE_BODY_BROKEN, e.getMessage());
    }

    /**
     * Waits for the body's first bytes before anything is forwarded, so a chunked body whose framing
     * is broken from its start is refused here (400) and never reaches a site. A break further on
     * reaches the site as an aborted request: bodies stream.
     */
    private static InputStream started(InputStream body) {
        var buffered = new BufferedInputStream(body, 16 * 1024);
        try {
            buffered.mark(1);
            buffered.read();
            buffered.reset();
        } catch (IOException e) {
            throw bodyBroken(e);
        }
        return buffered;
    }

    private static RequestRefused tooLarge(String detail) {
        return new RequestRefused(Refusal.REQUEST_TOO_LARGE, detail);
    }

    /**
     * Bodies the gateway is waiting on right now, watched twice a second: one whose read has waited
     * longer than {@link #STALL_NANOS} has its request failed, which ends the blocked read.
     */
    private static final Set<CountingLimit> WAITING = ConcurrentHashMap.newKeySet();

    static {
        Executors.newSingleThreadScheduledExecutor(
                        Thread.ofPlatform().daemon().name("body-stall-watch").factory())
                .scheduleWithFixedDelay(RequestLengthStep::cutStalledBodies, 500, 500, TimeUnit.MILLISECONDS);
    }

    private static void cutStalledBodies() {
        long now = System.nanoTime();
        for (CountingLimit body : WAITING) {
            body.cutIfStalled(now);
        }
    }

    /** Throws {@link RequestRefused} from read() once more than {@code max} bytes went by, too slowly, or none for a while. */
    static final class CountingLimit extends FilterInputStream {
        private final long max;
        private final Request request;
        private long count;
        private long waitedNanos;
        private volatile long readSinceNanos;
        private volatile boolean stalled;
        private volatile String sizeRefused;

        /** {@code request} is failed when a read stalls; null: nothing to wait for (no body). */
        CountingLimit(InputStream in, long max, Request request) {
            super(in);
            this.max = max;
            this.request = request;
        }

        @Override
        public int read() throws IOException {
            long start = waiting();
            try {
                int b = super.read();
                if (b >= 0) {
                    add(1, start);
                }
                return oversized(b);
            } catch (IOException e) {
                throw refusalOr(e);
            } finally {
                WAITING.remove(this);
            }
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            long start = waiting();
            try {
                int n = super.read(buf, off, len);
                if (n > 0) {
                    add(n, start);
                }
                return oversized(n);
            } catch (IOException e) {
                throw refusalOr(e);
            } finally {
                WAITING.remove(this);
            }
        }

        private int oversized(int read) {
            if (sizeRefused != null) {
                throw tooLarge(sizeRefused);
            }
            return read;
        }

        private long waiting() {
            long now = System.nanoTime();
            if (request != null) {
                readSinceNanos = now;
                WAITING.add(this);
            }
            return now;
        }

        void cutIfStalled(long now) {
            if (!stalled && (sizeRefused != null || now - readSinceNanos > STALL_NANOS)) {
                stalled = true;
                request.fail(new TimeoutException("no byte of the body for " + STALL_NANOS / 1_000_000 + " ms"));
            }
        }

        /**
         * The framing announced more than the limit (told by the parser, on the reading thread): the
         * read under way returns, or the watchdog ends its wait, and the body is refused (413). Not
         * failed from here: Jetty's request must not be failed while its parser is running.
         */
        void refuseSize(String why) {
            sizeRefused = why;
        }

        /** A failed read as the device's refusal when it was one: a stalled body, or framing over the limit. */
        private IOException refusalOr(IOException e) {
            if (sizeRefused != null) {
                throw tooLarge(sizeRefused);
            }
            if (stalled) {
                throw stalledRefusal();
            }
            return e;
        }

        private RequestRefused stalledRefusal() {
            return new RequestRefused(
                    Refusal.BODY_STALLED, count + " bytes, then none for " + STALL_NANOS / 1_000_000 + " ms");
        }

        private void add(long n, long readStart) {
            count += n;
            waitedNanos += System.nanoTime() - readStart;
            if (count > max) {
                throw tooLarge("body crossed the limit of " + max + " bytes while streaming");
            }
            if (waitedNanos > RATE_GRACE_NANOS && count * 1_000_000_000L / waitedNanos < MIN_BYTES_PER_SECOND) {
                throw new RequestRefused(
                        Refusal.BODY_TOO_SLOW,
                        count + " bytes in " + waitedNanos / 1_000_000 + " ms, under " + MIN_BYTES_PER_SECOND + " B/s");
            }
        }
    }
}
