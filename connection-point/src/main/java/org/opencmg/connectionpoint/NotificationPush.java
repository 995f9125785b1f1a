package org.opencmg.connectionpoint;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.opencmg.api.Refusal;
import org.opencmg.channel.ChannelJson;
import org.opencmg.channel.Notification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The site's way to notify its devices: {@code POST /notifications} on the connection point's
 * local listener, from an allowed sender address only (the management point, or another internal
 * system the administrator lists; loopback by default).
 * <pre>
 *   {"devices": ["&lt;device id&gt;", ...], "message": "..."}   or   {"all": true, "message": "..."}
 *   → 200 {"id", "channels", "reports", "delivered", "undelivered", "delivered_count"}
 * </pre>
 * The answer comes when every gateway instance reported, or after a short wait: a device listed
 * under "undelivered" holds no notification channel on any instance that reported.
 */
public final class NotificationPush extends Handler.Abstract {

    private static final Logger LOG = LoggerFactory.getLogger(NotificationPush.class);
    public static final String PATH = "/notifications";
    /** How long a push waits for the gateway instances' reports. */
    static final Duration REPORTS_WAIT = Duration.ofSeconds(2);

    private final NotificationRelay relay;
    private final Set<InetAddress> senders;

    NotificationPush(NotificationRelay relay, Set<InetAddress> senders) {
        super(InvocationType.NON_BLOCKING);
        this.relay = relay;
        this.senders = Set.copyOf(senders);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        // Only on the monitor listener: a channel's stream never reaches it, whatever its path.
        if (!MonitorHandler.CONNECTOR.equals(
                        request.getConnectionMetaData().getConnector().getName())
                || !PATH.equals(request.getHttpURI().getPath())) {
            return false;
        }
        InetAddress from = request.getConnectionMetaData().getRemoteSocketAddress() instanceof InetSocketAddress a
                ? a.getAddress()
                : null;
        if (from == null || !senders.contains(from)) {
            LOG.warn("notification refused: sender {} is not in notifications.senders", from);
            return refuse(response, callback, Refusal.SENDER_NOT_ALLOWED, null);
        }
        if (!"POST".equals(request.getMethod())) {
            response.getHeaders().put(HttpHeader.ALLOW, "POST");
            return refuse(response, callback, Refusal.METHOD_NOT_ALLOWED, null);
        }
        Content.Source.asByteArrayAsync(request, Notification.MAX_LINE_BYTES).whenComplete((json, failure) -> {
            if (failure != null) {
                refuse(response, callback, Refusal.NOTIFICATION_TOO_LARGE, null);
                return;
            }
            Notification n;
            try {
                n = ChannelJson.read(json, Notification.class);
            } catch (IOException e) {
                refuse(response, callback, Refusal.BAD_NOTIFICATION, "not a notification in JSON");
                return;
            }
            if (n.id() == null) {
                n = new Notification(UUID.randomUUID().toString(), n.devices(), n.all(), n.message());
            }
            String problem = n.problem();
            if (problem != null) {
                refuse(response, callback, Refusal.BAD_NOTIFICATION, problem);
                return;
            }
            if (relay.channels() == 0) {
                refuse(response, callback, Refusal.NO_CHANNEL, null);
                return;
            }
            relay.push(n, REPORTS_WAIT).whenComplete((outcome, t) -> {
                if (t != null) {
                    callback.failed(t);
                } else {
                    answer(response, callback, 200, outcome);
                }
            });
        });
        return true;
    }

    /** {"reason": code} with the refusal's status, and {"detail"} when there is one. */
    private static boolean refuse(Response response, Callback callback, Refusal refusal, String detail) {
        return answer(
                response,
                callback,
                refusal.status(),
                detail == null ? Map.of("reason", refusal.code()) : Map.of("reason", refusal.code(), "detail", detail));
    }

    private static boolean answer(Response response, Callback callback, int status, Object body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        byte[] json = ChannelJson.write(body);
        response.write(true, ByteBuffer.wrap(json), callback);
        return true;
    }
}
