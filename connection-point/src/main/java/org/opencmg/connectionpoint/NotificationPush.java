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
        if (!MonitorHandler.CONNECTOR.equals(request.getConnectionMetaData().getConnector().getName())
                || !PATH.equals(request.getHttpURI().getPath())) {
            return false;
        }
        InetAddress from = request.getConnectionMetaData().getRemoteSocketAddress() instanceof InetSocketAddress a
                ? a.getAddress() : null;
        if (from == null || !senders.contains(from)) {
            LOG.warn("notification refused: sender {} is not in notifications.senders", from);
            return answer(response, callback, 403, Map.of("reason", "sender_not_allowed"));
        }
        if (!"POST".equals(request.getMethod())) {
            response.getHeaders().put(HttpHeader.ALLOW, "POST");
            return answer(response, callback, 405, Map.of("reason", "method_not_allowed"));
        }
        Content.Source.asByteArrayAsync(request, Notification.MAX_LINE_BYTES).whenComplete((json, failure) -> {
            if (failure != null) {
                answer(response, callback, 413, Map.of("reason", "notification_too_large"));
                return;
            }
            Notification n;
            try {
                n = ChannelJson.read(json, Notification.class);
            } catch (IOException e) {
                answer(response, callback, 400, Map.of("reason", "bad_notification", "detail", "not a notification in JSON"));
                return;
            }
            if (n.id() == null) {
                n = new Notification(UUID.randomUUID().toString(), n.devices(), n.all(), n.message());
            }
            String problem = n.problem();
            if (problem != null) {
                answer(response, callback, 400, Map.of("reason", "bad_notification", "detail", problem));
                return;
            }
            if (relay.channels() == 0) {
                answer(response, callback, 503, Map.of("reason", "no_channel"));
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

    private static boolean answer(Response response, Callback callback, int status, Object body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        byte[] json = ChannelJson.write(body);
        response.write(true, ByteBuffer.wrap(json), callback);
        return true;
    }

}
