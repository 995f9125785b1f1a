package org.opencmg.api;

import java.io.IOException;
import java.io.InputStream;

/**
 * A response body the gateway copies to the device without holding it in memory (a file, a blob
 * range). {@link #open()} is called at most once, and not at all for HEAD; the stream is closed
 * by the gateway.
 */
public interface BodyStream {

    /** The exact number of bytes {@link #open()} yields (sent as Content-Length). */
    long length();

    InputStream open() throws IOException;
}
