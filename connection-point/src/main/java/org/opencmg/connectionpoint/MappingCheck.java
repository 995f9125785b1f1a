package org.opencmg.connectionpoint;

import java.net.URI;
import java.util.Locale;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.opencmg.api.Refusal;
import org.opencmg.channel.ChannelProtocol;
import org.opencmg.channel.MappingTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Step 7 at the connection point: the device request the gateway sent must fall under a mapping of
 * the table this point holds (deny by default, whatever the gateway says), with an allowed method,
 * and map to an internal URL on {@code internal.allowed-urls}. The internal target is then handed to
 * the proxy as a request attribute; a refusal is answered with its status and reason.
 */
final class MappingCheck extends Handler.Wrapper {

    private static final Logger LOG = LoggerFactory.getLogger(MappingCheck.class);
    static final String TARGET = MappingCheck.class.getName() + ".target";

    private final InternalAllowList allowList;

    MappingCheck(InternalAllowList allowList, Handler proxy) {
        super(proxy);
        this.allowList = allowList;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        GatewayLink link = ((DialledConnector) request.getConnectionMetaData().getConnector()).link();
        String endpoint = request.getHeaders().get(ChannelProtocol.ENDPOINT_HEADER);
        String path = request.getHttpURI().getPath();
        // A WebSocket arrives as an extended CONNECT stream; the device asked for it with GET.
        String method = WebSocketTunnel.isWebSocket(request) ? "GET" : request.getMethod();
        MappingTable.Mapping mapping = endpoint == null ? null : find(link.mappings(), endpoint);
        if (mapping == null) {
            return refuse(
                    request,
                    response,
                    callback,
                    Refusal.MAPPING_NOT_REPLICATED,
                    "no mapping for " + endpoint + " here yet");
        }
        if (!mapping.methods().contains(method)
                || path == null
                || !path.toLowerCase(Locale.ROOT)
                        .startsWith(mapping.externalPath().toLowerCase(Locale.ROOT))) {
            return refuse(
                    request,
                    response,
                    callback,
                    Refusal.NOT_ALLOWED_BY_MAPPING,
                    "method or path outside " + mapping.externalPath());
        }
        URI target;
        try {
            target = URI.create(internalUrl(
                    mapping.internalUrl(),
                    request.getHttpURI()
                            .getPath()
                            .substring(mapping.externalPath().length()),
                    request.getHttpURI().getQuery()));
        } catch (IllegalArgumentException e) {
            return refuse(request, response, callback, Refusal.TARGET_UNPARSEABLE, e.getMessage());
        }
        if (!allowList.allows(target)) {
            return refuse(
                    request,
                    response,
                    callback,
                    Refusal.INTERNAL_URL_NOT_ALLOWED,
                    mapping.internalUrl() + " is outside internal.allowed-urls");
        }
        request.setAttribute(TARGET, HttpURI.from(target));
        return super.handle(request, response, callback);
    }

    private static MappingTable.Mapping find(MappingTable table, String endpoint) {
        for (MappingTable.Mapping m : table.endpoints()) {
            if (m.externalPath().equalsIgnoreCase(endpoint)) {
                return m;
            }
        }
        return null;
    }

    static String internalUrl(String base, String rest, String query) {
        String b = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        return b + rest + (query == null || query.isEmpty() ? "" : "?" + query);
    }

    /** A refusal decided here: its status, and its reason for the gateway to count and log. */
    static boolean refuse(Request request, Response response, Callback callback, Refusal reason, String detail) {
        LOG.warn(
                "refused {} {}: {} ({})",
                request.getMethod(),
                request.getHttpURI().getPath(),
                reason.code(),
                detail);
        response.setStatus(reason.status());
        response.getHeaders().put(ChannelProtocol.REFUSAL_HEADER, reason.code());
        response.write(true, null, callback);
        return true;
    }
}
