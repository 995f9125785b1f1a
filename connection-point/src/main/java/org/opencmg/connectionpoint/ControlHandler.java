package org.opencmg.connectionpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.opencmg.channel.ChannelJson;
import org.opencmg.channel.ChannelProtocol;
import org.opencmg.channel.GatewayInstances;
import org.opencmg.channel.Hello;
import org.opencmg.channel.MappingTable;
import org.opencmg.channel.NotificationReport;

/**
 * The channel's control streams, opened by the gateway: its hello (answered with this point's
 * welcome, or 409 when another link serves that instance), its mapping tables, its list of the live
 * gateway instances (for {@link Discovery}), its refusal, its notification stream (held by the
 * {@link NotificationRelay}) and its notification reports. Everything else goes on to the exchange
 * handlers.
 */
final class ControlHandler extends Handler.Wrapper {

    /** Why the gateway refused this point, sent just before its GOAWAY. */
    static final String REFUSED = ChannelProtocol.PREFIX + "refused";

    private final NotificationRelay notifications;
    private final Discovery discovery;

    ControlHandler(NotificationRelay notifications, Discovery discovery, Handler exchanges) {
        super(exchanges);
        this.notifications = notifications;
        this.discovery = discovery;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String path = request.getHttpURI().getPath();
        if (path == null || !path.startsWith(ChannelProtocol.PREFIX)) {
            return super.handle(request, response, callback);
        }
        GatewayLink link = ((DialledConnector) request.getConnectionMetaData().getConnector()).link();
        if (ChannelProtocol.NOTIFICATIONS.equals(path) && link.up()) {
            notifications.attach(request, response, callback);
            return true;
        }
        int max = switch (path) {
            case ChannelProtocol.MAPPINGS -> ChannelProtocol.MAX_MAPPINGS_BYTES;
            case ChannelProtocol.NOTIFICATION_REPORTS -> ChannelProtocol.MAX_REPORT_BYTES;
            case ChannelProtocol.INSTANCES -> ChannelProtocol.MAX_INSTANCES_BYTES;
            default -> ChannelProtocol.MAX_HELLO_BYTES;
        };
        Content.Source.asByteArrayAsync(request, max).whenComplete((json, failure) -> {
            try {
                if (failure != null) {
                    answer(response, callback, 400, null); // broken, or larger than a control message may be
                    return;
                }
                switch (path) {
                    case ChannelProtocol.HELLO -> {
                        var welcome = link.hello(ChannelJson.read(json, Hello.class));
                        if (welcome.isPresent()) {
                            answer(response, callback, 200, ChannelJson.write(welcome.get()));
                        } else {
                            answer(response, callback, 409, null); // another channel serves that instance
                        }
                    }
                    case ChannelProtocol.INSTANCES -> {
                        discovery.heard(ChannelJson.read(json, GatewayInstances.class));
                        answer(response, callback, 204, null);
                    }
                    case ChannelProtocol.MAPPINGS -> {
                        link.mappings(ChannelJson.read(json, MappingTable.class));
                        answer(response, callback, 204, null);
                    }
                    case ChannelProtocol.NOTIFICATION_REPORTS -> {
                        notifications.report(ChannelJson.read(json, NotificationReport.class));
                        answer(response, callback, 204, null);
                    }
                    case REFUSED -> {
                        link.refused(new String(json, StandardCharsets.UTF_8).strip());
                        answer(response, callback, 204, null);
                    }
                    default -> answer(response, callback, 404, null);
                }
            } catch (IOException e) {
                answer(response, callback, 400, null);
            } catch (RuntimeException e) {
                callback.failed(e);
            }
        });
        return true;
    }

    private static void answer(Response response, Callback callback, int status, byte[] json) {
        response.setStatus(status);
        if (json == null) {
            response.write(true, null, callback);
            return;
        }
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(json), callback);
    }
}
