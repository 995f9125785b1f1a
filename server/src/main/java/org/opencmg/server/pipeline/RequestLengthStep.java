package org.opencmg.server.pipeline;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/**
 * Step 4: the endpoint's maximum request length. A declared Content-Length over it is refused
 * (413) before a byte of body is read; a chunked body is counted while it streams and cut (413)
 * the moment it crosses the limit. A body trickled in slower than {@link #MIN_BYTES_PER_SECOND}
 * is cut too (408): the idle timeout alone never ends a body that sends a byte now and then.
 */
public final class RequestLengthStep {

    /** About a 4 kbit/s link; counted over the time spent waiting for the device, not for the site. */
    static final long MIN_BYTES_PER_SECOND = 512;
    /** A body may start slowly (a TCP window opening, a handshake with a proxy) for this long. */
    static final long RATE_GRACE_NANOS = 5_000_000_000L;

    public InputStream limitedBody(Request request, InputStream body, long maxBytes) {
        long declared = request.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
        if (declared > maxBytes) {
            throw tooLarge(declared + " declared, limit " + maxBytes);
        }
        return hasBody(request) ? started(new CountingLimit(body, maxBytes)) : new CountingLimit(body, maxBytes);
    }

    /** Whether the request declares a body: a Content-Length above 0, or a transfer coding. */
    public static boolean hasBody(Request request) {
        return request.getLength() > 0 || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
    }

    /** The device's body broke off or its framing is bad: the device's fault, never the channel's. */
    public static RequestRefused bodyBroken(IOException e) {
        return new RequestRefused(400, "device_body_broken", e.getMessage());
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
        return new RequestRefused(413, "request_too_large", detail);
    }

    /** Throws {@link RequestRefused} from read() once more than {@code max} bytes went by, or too slowly. */
    static final class CountingLimit extends FilterInputStream {
        private final long max;
        private long count;
        private long waitedNanos;

        CountingLimit(InputStream in, long max) {
            super(in);
            this.max = max;
        }

        @Override
        public int read() throws IOException {
            long start = System.nanoTime();
            int b = super.read();
            if (b >= 0) {
                add(1, start);
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            long start = System.nanoTime();
            int n = super.read(buf, off, len);
            if (n > 0) {
                add(n, start);
            }
            return n;
        }

        private void add(long n, long readStart) {
            count += n;
            waitedNanos += System.nanoTime() - readStart;
            if (count > max) {
                throw tooLarge("body crossed the limit of " + max + " bytes while streaming");
            }
            if (waitedNanos > RATE_GRACE_NANOS && count * 1_000_000_000L / waitedNanos < MIN_BYTES_PER_SECOND) {
                throw new RequestRefused(408, "body_too_slow",
                        count + " bytes in " + waitedNanos / 1_000_000 + " ms, under " + MIN_BYTES_PER_SECOND + " B/s");
            }
        }
    }
}
