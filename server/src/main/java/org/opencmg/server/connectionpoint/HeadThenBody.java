package org.opencmg.server.connectionpoint;

import java.io.IOException;
import java.io.InputStream;

/**
 * A frame head followed by a body, read so that the head and whatever of the body is already at
 * hand leave in one read (one HTTP/2 DATA frame for a small answer, not one for each part).
 */
final class HeadThenBody extends InputStream {

    private final byte[] head;
    private final InputStream body;
    private int position;

    HeadThenBody(byte[] head, InputStream body) {
        this.head = head;
        this.body = body;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        int n = 0;
        if (position < head.length) {
            n = Math.min(len, head.length - position);
            System.arraycopy(head, position, b, off, n);
            position += n;
            if (n == len || body == null || body.available() <= 0) {
                return n;
            }
        }
        if (body == null) {
            return n > 0 ? n : -1;
        }
        int m = body.read(b, off + n, len - n);
        return m < 0 ? (n > 0 ? n : -1) : n + m;
    }

    @Override
    public void close() throws IOException {
        if (body != null) {
            body.close();
        }
    }
}
