package org.opencmg.connectionpoint;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Waits for the first bytes of a request body (or its end) before the proxy takes an internal
 * connection, so a device that stalls never holds one of the pool's connections idle. A body whose
 * length the stream does not declare is then marked as chunked for the proxy, which otherwise sends
 * an HTTP/2 request without Content-Length to the internal server with no body at all.
 */
final class FirstBytes extends Handler.Wrapper {

    FirstBytes(Handler proxy) {
        super(proxy);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (request.getLength() == 0) {
            return super.handle(request, response, callback);
        }
        awaitFirst(request, response, callback);
        return true;
    }

    private void awaitFirst(Request request, Response response, Callback callback) {
        Content.Chunk first = request.read();
        if (first == null) {
            request.demand(() -> awaitFirst(request, response, callback));
            return;
        }
        if (Content.Chunk.isFailure(first)) {
            callback.failed(first.getFailure());
            return;
        }
        boolean body = first.hasRemaining() || !first.isLast();
        Request replay = new Replay(request, first, body && request.getLength() < 0);
        try {
            if (!super.handle(replay, response, callback)) {
                callback.failed(new IllegalStateException("no handler for the exchange"));
            }
        } catch (Throwable t) {
            callback.failed(t);
        }
    }

    /** The request with its first chunk given back, and chunked framing declared where no length is. */
    private static final class Replay extends Request.Wrapper {
        private Content.Chunk first;
        private final HttpFields headers;

        Replay(Request request, Content.Chunk first, boolean chunked) {
            super(request);
            this.first = first;
            this.headers = chunked
                    ? HttpFields.build(request.getHeaders())
                            .put(HttpHeader.TRANSFER_ENCODING, "chunked")
                            .asImmutable()
                    : request.getHeaders();
        }

        @Override
        public HttpFields getHeaders() {
            return headers;
        }

        @Override
        public Content.Chunk read() {
            Content.Chunk chunk = first;
            if (chunk != null) {
                first = null;
                return chunk;
            }
            return super.read();
        }

        @Override
        public void demand(Runnable demandCallback) {
            if (first != null) {
                demandCallback.run();
            } else {
                super.demand(demandCallback);
            }
        }
    }
}
