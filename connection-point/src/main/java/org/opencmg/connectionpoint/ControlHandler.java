package org.opencmg.connectionpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.opencmg.channel.ChannelJson;
import org.opencmg.channel.ChannelProtocol;
import org.opencmg.channel.Hello;
import org.opencmg.channel.MappingTable;

/**
 * The channel's control streams, opened by the gateway: its hello (answered with this point's
 * welcome), its mapping tables and its refusal. Everything else goes on to the exchange handlers.
 */
final class ControlHandler extends Handler.Wrapper {

    /** Why the gateway refused this point, sent just before its GOAWAY. */
    static final String REFUSED = ChannelProtocol.PREFIX + "refused";

    ControlHandler(Handler exchanges) {
        super(exchanges);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String path = request.getHttpURI().getPath();
        if (path == null || !path.startsWith(ChannelProtocol.PREFIX)) {
            return super.handle(request, response, callback);
        }
        GatewayLink link = ((DialledConnector) request.getConnectionMetaData().getConnector()).link();
        int max = ChannelProtocol.MAPPINGS.equals(path) ? ChannelProtocol.MAX_MAPPINGS_BYTES : ChannelProtocol.MAX_HELLO_BYTES;
        Content.Source.asByteArrayAsync(request, max).whenComplete((json, failure) -> {
            try {
                if (failure != null) {
                    answer(response, callback, 400, null); // broken, or larger than a control message may be
                    return;
                }
                switch (path) {
                    case ChannelProtocol.HELLO ->
                            answer(response, callback, 200, ChannelJson.write(link.hello(ChannelJson.read(json, Hello.class))));
                    case ChannelProtocol.MAPPINGS -> {
                        link.mappings(ChannelJson.read(json, MappingTable.class));
                        answer(response, callback, 204, null);
                    }
                    case REFUSED -> {
                        link.refused(new String(json, java.nio.charset.StandardCharsets.UTF_8).strip());
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
