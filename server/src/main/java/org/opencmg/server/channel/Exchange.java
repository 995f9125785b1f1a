package org.opencmg.server.channel;

import java.io.InputStream;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.opencmg.server.pipeline.Route;

/**
 * One device request on its way through a channel: handed to a pull, answered by a response
 * stream, or failed. Lives on the gateway; a new exchange is made for every attempt.
 */
final class Exchange {

    /** The answer from the site: its head and a stream of its body; {@link #done} once written to the device. */
    record Delivery(FrameHead.Response head, InputStream body, CompletableFuture<Void> done) {
    }

    /** The channel died before the site's answer began. */
    static final class ChannelLost extends RuntimeException {
        ChannelLost(String message) {
            super(message, null, false, false);
        }
    }

    private static final java.util.concurrent.atomic.AtomicLong NEXT_ID = new java.util.concurrent.atomic.AtomicLong();
    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "PROPFIND", "OPTIONS");

    /** Unique within this gateway run; exchanges are scoped to their channel, so it need not be secret. */
    final String id = Long.toString(NEXT_ID.incrementAndGet(), 36);
    final Route route;
    final FrameHead.Request head;
    final InputStream body;
    /** False when the device request carries no body at all (no Content-Length above 0, no Transfer-Encoding). */
    final boolean hasBody;
    final CompletableFuture<Delivery> answer = new CompletableFuture<>();
    final AtomicLong bytesIn = new AtomicLong();

    Exchange(Route route, FrameHead.Request headWithoutId, InputStream body, boolean hasBody) {
        this.route = route;
        this.hasBody = hasBody;
        this.head = new FrameHead.Request(id, headWithoutId.method(), headWithoutId.endpoint(), headWithoutId.path(),
                headWithoutId.query(), headWithoutId.headers());
        this.body = body;
    }

    /** True if the request may be sent again elsewhere: idempotent, and no body byte was consumed. */
    boolean retryable() {
        return IDEMPOTENT.contains(route.method()) && bytesIn.get() == 0;
    }

    /** Fails the exchange unless the site's answer already began. */
    void lost(String why) {
        answer.completeExceptionally(new ChannelLost(why));
    }
}
