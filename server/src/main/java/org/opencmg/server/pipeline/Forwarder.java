package org.opencmg.server.pipeline;

import java.io.IOException;
import java.io.InputStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.opencmg.server.refusal.RequestRefused;

/**
 * Steps 5-8: carries an accepted request to a connection point of its site and streams the
 * response back. May throw {@link RequestRefused} as long as nothing has been written.
 */
public interface Forwarder {

    void forward(Route route, Request request, InputStream body, Response response) throws IOException;

    /**
     * The same, ending with {@code callback}: succeeded once the answer was written, failed with a
     * {@link RequestRefused} (nothing written yet) or any other failure. A forwarder may return before
     * the exchange ended and complete the callback from another thread; by default it blocks.
     */
    default void forward(Route route, Request request, InputStream body, Response response, Callback callback) {
        try {
            forward(route, request, body, response);
            callback.succeeded();
        } catch (IOException | RuntimeException e) {
            callback.failed(e);
        }
    }
}
