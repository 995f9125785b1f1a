package org.opencmg.server.channel;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.http2.ErrorCode;
import org.eclipse.jetty.http2.api.Session;
import org.eclipse.jetty.http2.api.Stream;
import org.eclipse.jetty.http2.frames.GoAwayFrame;
import org.eclipse.jetty.http2.frames.PingFrame;
import org.eclipse.jetty.http2.frames.ResetFrame;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.Callback;
import org.opencmg.server.store.ConnectionPointStore.Registration;

/**
 * A channel as the gateway holds it: the HTTP/2 client session on a connection a connection point
 * dialled. It is a channel of a registered point once the point's welcome checked out; until then
 * nothing but the hello is sent on it. PINGs measure its round-trip time; a GOAWAY or a failure ends it.
 */
final class Channel implements Session.Listener {

    private final ChannelRegistry registry;
    final EndPoint endPoint;
    final String remoteAddress;
    final Instant since;
    volatile Session session;
    /** Set once the welcome checked out. */
    volatile Registration point;

    volatile Instant lastHeartbeat;
    volatile long rttMicros = -1;
    private volatile long pingSentNanos;
    private volatile boolean draining;
    /** The held stream the connection point writes the site's notifications to (NotificationFeed). */
    volatile Stream notifications;

    Channel(ChannelRegistry registry, EndPoint endPoint, String remoteAddress, Instant now) {
        this.registry = registry;
        this.endPoint = endPoint;
        this.remoteAddress = remoteAddress;
        this.since = now;
        this.lastHeartbeat = now;
    }

    String site() {
        return point.site();
    }

    String name() {
        return point == null ? remoteAddress : point.name();
    }

    /** Open, welcomed, and not going away: may carry new exchanges. */
    boolean usable() {
        Session s = session;
        return point != null && !draining && s != null && !s.isClosed();
    }

    /** One PING: its payload tells the connection point the round-trip time measured last. */
    void ping() {
        Session s = session;
        if (s != null && !s.isClosed()) {
            pingSentNanos = System.nanoTime();
            s.ping(new PingFrame(Math.max(0, rttMicros), false), Callback.NOOP);
        }
    }

    @Override
    public void onPing(Session session, PingFrame frame) {
        if (frame.isReply() && pingSentNanos != 0) {
            rttMicros = (System.nanoTime() - pingSentNanos) / 1000;
            registry.heartbeat(this);
        }
    }

    @Override
    public void onGoAway(Session session, GoAwayFrame frame) {
        draining = true; // streams in flight finish; new exchanges go to the site's other points
    }

    @Override
    public void onClose(Session session, GoAwayFrame frame, Callback callback) {
        String reason = frame == null ? null : frame.tryConvertPayload();
        registry.closed(this, reason == null || reason.isBlank() ? "connection closed" : reason);
        callback.succeeded();
    }

    @Override
    public void onFailure(Session session, Throwable failure, Callback callback) {
        registry.closed(this, failure.getMessage() == null ? failure.toString() : failure.getMessage());
        callback.succeeded();
    }

    @Override
    public boolean onIdleTimeout(Session session) {
        return true; // PINGs keep a live channel busy: an idle one is dead
    }

    /**
     * Drains the channel: a GOAWAY (the gateway opens no new stream on it), the streams in flight
     * finish, then the connection closes; the connection point redials (another instance, or this
     * one once it is back). The future completes when the connection closed.
     */
    CompletableFuture<Void> drain() {
        draining = true;
        endNotifications();
        Session s = session;
        return s == null ? CompletableFuture.completedFuture(null) : s.shutdown();
    }

    /** Streams open on the channel but the held notification stream: device exchanges and control messages. */
    int exchangesInFlight() {
        Session s = session;
        Stream n = notifications;
        return s == null ? 0 : s.getStreams().size() - (n != null && !n.isClosed() ? 1 : 0);
    }

    /** The notification stream never ends by itself: a channel that ends resets it first, or it would wait for it. */
    void endNotifications() {
        Stream n = notifications;
        if (n != null && !n.isClosed()) {
            n.reset(new ResetFrame(n.getId(), ErrorCode.CANCEL_STREAM_ERROR.code), Callback.NOOP);
        }
    }

    /** Ends the channel: streams in flight are reset, the connection point redials. */
    void close(String reason) {
        endNotifications();
        Session s = session;
        if (s != null) {
            s.close(ErrorCode.NO_ERROR.code, reason, Callback.NOOP);
        } else {
            endPoint.close();
        }
    }
}
