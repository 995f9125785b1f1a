package org.opencmg.connectionpoint;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.proxy.ProxyHandler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.opencmg.api.Refusal;
import org.opencmg.channel.ChannelProtocol;
import org.opencmg.channel.ForwardedHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Step 8 at the connection point: Jetty's asynchronous proxy from the channel stream to the
 * internal server {@link MappingCheck} chose, through the bounded pool of the internal client.
 * Bodies stream both ways under HTTP/2 and TCP flow control; no thread waits on either.
 * The request's headers are those the gateway's header policy let through (it decides, a role's
 * declared headers included) less hop-by-hop ones; the answer's hop-by-hop headers stay.
 */
final class SiteProxy extends ProxyHandler {

    private static final Logger LOG = LoggerFactory.getLogger(SiteProxy.class);

    private final long responseTimeoutMillis;

    SiteProxy(HttpClient internal, long responseTimeoutMillis) {
        this.responseTimeoutMillis = responseTimeoutMillis;
        setHttpClient(internal);
    }

    @Override
    protected HttpURI rewriteHttpURI(Request request) {
        return (HttpURI) request.getAttribute(MappingCheck.TARGET);
    }

    @Override
    protected org.eclipse.jetty.client.Request newProxyToServerRequest(Request request, HttpURI target) {
        // Idle, not total: a large download may take hours, a site that stops answering may not.
        return super.newProxyToServerRequest(request, target).idleTimeout(responseTimeoutMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void copyRequestHeaders(Request request, org.eclipse.jetty.client.Request toSite) {
        toSite.headers(h -> {
            for (HttpField f : request.getHeaders()) {
                if (ForwardedHeaders.toSite(f.getName()) && !f.is(ChannelProtocol.ENDPOINT_HEADER)) {
                    h.add(f);
                }
            }
        });
    }

    @Override
    protected void addProxyHeaders(Request request, org.eclipse.jetty.client.Request toSite) {
        // The site learns who the device is from the gateway's X-OpenCMG-* headers, not Via or Forwarded.
    }

    @Override
    protected HttpField filterServerToProxyResponseField(HttpField field) {
        return ForwardedHeaders.toDevice(field.getName()) ? field : null;
    }

    @Override
    protected void onServerToProxyResponseFailure(
            Request request,
            org.eclipse.jetty.client.Request toSite,
            org.eclipse.jetty.client.Response fromSite,
            Response response,
            Callback callback,
            Throwable failure) {
        if (response.isCommitted()) {
            LOG.debug("internal answer for {} broke off: {}", toSite.getURI(), failure.toString());
            callback.failed(failure);
            return;
        }
        boolean timeout = failure instanceof TimeoutException || failure.getCause() instanceof TimeoutException;
        LOG.warn("internal server {} failed: {}", toSite.getURI(), failure.toString());
        response.reset();
        MappingCheck.refuse(
                request,
                response,
                callback,
                timeout ? Refusal.INTERNAL_SERVER_TIMEOUT : Refusal.INTERNAL_SERVER_UNREACHABLE,
                failure.toString());
    }
}
