package org.opencmg.server.notification;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;
import org.opencmg.api.Device;
import org.opencmg.api.Refusal;
import org.opencmg.channel.Notification;
import org.opencmg.server.refusal.RequestRefused;

/**
 * The pipeline's last step for a client notification endpoint: the device's request is held here,
 * in the gateway instance it reached, as a WebSocket (the device's upgrade is answered here) or as
 * a long poll (a GET answered with the first notification, or {@code 204} after the wait). Nothing
 * goes to the site. A device's WebSocket may send nothing but pings and a close: any message ends it.
 */
public final class NotificationChannels {

    /** A notification's message, and the little a device may send back (nothing but pings). */
    private static final int MAX_MESSAGE = Notification.MAX_MESSAGE_BYTES;

    private final NotificationHub hub;
    private final Duration longPollWait;
    private final Duration idleTimeout;
    private volatile ServerWebSocketContainer websockets;
    private volatile Server server;

    /**
     * @param longPollWait how long a long poll waits for a notification before {@code 204}
     * @param idleTimeout  how long a WebSocket may be quiet both ways (devices ping more often)
     */
    public NotificationChannels(NotificationHub hub, Duration longPollWait, Duration idleTimeout) {
        this.hub = hub;
        this.longPollWait = longPollWait;
        this.idleTimeout = idleTimeout;
    }

    /** Before the server starts: WebSocket upgrades on its client connector. */
    public void install(Server server) {
        this.server = server;
        var container = ServerWebSocketContainer.ensure(server);
        container.setIdleTimeout(idleTimeout);
        container.setMaxTextMessageSize(MAX_MESSAGE);
        container.setMaxBinaryMessageSize(MAX_MESSAGE);
        container.setMaxFrameSize(MAX_MESSAGE);
        container.setInputBufferSize(1024);
        container.setOutputBufferSize(MAX_MESSAGE);
        // A device that stops reading lets at most this many notifications wait; then they fail.
        container.setMaxOutgoingFrames(8);
        this.websockets = container;
    }

    public NotificationHub hub() {
        return hub;
    }

    /** Holds the device's request on this instance; refuses with a reason when it cannot. */
    public void hold(Request request, Response response, Callback callback, Device device, String site) {
        if (isWebSocketUpgrade(request)) {
            var socket = new DeviceSocket(site, device.id());
            boolean upgraded;
            try {
                upgraded = websockets.upgrade((rq, rs, cb) -> socket, request, response, callback);
            } catch (RuntimeException e) {
                throw new RequestRefused(Refusal.BAD_WEBSOCKET_UPGRADE, e.getMessage());
            }
            if (!upgraded) {
                throw new RequestRefused(Refusal.BAD_WEBSOCKET_UPGRADE, "not a WebSocket version 13 upgrade");
            }
            return;
        }
        longPoll(request, response, callback, device, site);
    }

    static boolean isWebSocketUpgrade(Request request) {
        return "websocket".equalsIgnoreCase(request.getHeaders().get(HttpHeader.UPGRADE))
                || "CONNECT".equals(request.getMethod());
    }

    /** One long poll: the first notification (200, the message as text), or 204 after the wait. */
    private void longPoll(Request request, Response response, Callback callback, Device device, String site) {
        var answered = new AtomicBoolean();
        var holding = new NotificationHub.Holding[1];
        NotificationHub.Subscriber poll = message -> {
            if (!answered.compareAndSet(false, true)) {
                return false;
            }
            holding[0].close();
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            response.write(true, ByteBuffer.wrap(message.getBytes(StandardCharsets.UTF_8)), callback);
            return true;
        };
        try {
            holding[0] = hub.hold(site, device.id(), poll);
        } catch (NotificationHub.Full e) {
            throw new RequestRefused(Refusal.NOTIFICATION_CHANNELS_FULL, e.getMessage(), Map.of("Retry-After", "60"));
        }
        Runnable end = () -> {
            if (answered.compareAndSet(false, true)) {
                holding[0].close();
                response.setStatus(204);
                response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
                response.write(true, null, callback);
            }
        };
        server.getScheduler().schedule(end, longPollWait.toMillis(), TimeUnit.MILLISECONDS);
        // A device that resets its stream (HTTP/2) or whose connection fails ends its poll at once.
        request.addFailureListener(failure -> {
            if (answered.compareAndSet(false, true)) {
                holding[0].close();
            }
        });
    }

    /** A device's notification WebSocket: held in the hub from open to close (public: Jetty calls it through method handles). */
    public final class DeviceSocket implements Session.Listener.AutoDemanding {

        private final String site;
        private final String deviceId;
        private volatile Session session;
        private volatile NotificationHub.Holding holding;

        DeviceSocket(String site, String deviceId) {
            this.site = site;
            this.deviceId = deviceId;
        }

        @Override
        public void onWebSocketOpen(Session session) {
            this.session = session;
            try {
                holding = hub.hold(site, deviceId, this::send);
            } catch (NotificationHub.Full e) {
                session.close(1013, "notification_channels_full", org.eclipse.jetty.websocket.api.Callback.NOOP);
            }
        }

        private boolean send(String message) {
            Session s = session;
            if (s == null || !s.isOpen()) {
                return false;
            }
            s.sendText(message, org.eclipse.jetty.websocket.api.Callback.NOOP);
            return true;
        }

        @Override
        public void onWebSocketText(String message) {
            session.close(
                    1008,
                    "devices send nothing on a notification channel",
                    org.eclipse.jetty.websocket.api.Callback.NOOP);
        }

        @Override
        public void onWebSocketBinary(ByteBuffer payload, org.eclipse.jetty.websocket.api.Callback callback) {
            callback.succeed();
            session.close(
                    1008,
                    "devices send nothing on a notification channel",
                    org.eclipse.jetty.websocket.api.Callback.NOOP);
        }

        @Override
        public void onWebSocketClose(int status, String reason) {
            release();
        }

        @Override
        public void onWebSocketError(Throwable cause) {
            release();
        }

        private void release() {
            NotificationHub.Holding h = holding;
            if (h != null) {
                h.close();
            }
        }
    }
}
