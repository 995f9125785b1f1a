package org.opencmg.server.pipeline;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/**
 * Step 4: the endpoint's maximum request length. A declared Content-Length over it is refused
 * (413) before a byte of body is read; a chunked body is counted while it streams and cut (413)
 * the moment it crosses the limit.
 */
public final class RequestLengthStep {

    public InputStream limitedBody(Request request, InputStream body, long maxBytes) {
        long declared = request.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
        if (declared > maxBytes) {
            throw tooLarge(declared + " declared, limit " + maxBytes);
        }
        return new CountingLimit(body, maxBytes);
    }

    private static RequestRefused tooLarge(String detail) {
        return new RequestRefused(413, "request_too_large", detail);
    }

    /** Throws {@link RequestRefused} from read() once more than {@code max} bytes went by. */
    static final class CountingLimit extends FilterInputStream {
        private final long max;
        private long count;

        CountingLimit(InputStream in, long max) {
            super(in);
            this.max = max;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                add(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            if (n > 0) {
                add(n);
            }
            return n;
        }

        private void add(long n) {
            count += n;
            if (count > max) {
                throw tooLarge("body crossed the limit of " + max + " bytes while streaming");
            }
        }
    }
}
