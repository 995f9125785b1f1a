package org.opencmg.server.channel;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.opencmg.server.pipeline.Forwarder;
import org.opencmg.server.pipeline.RequestLengthStep;
import org.opencmg.server.pipeline.RequestRefused;
import org.opencmg.server.pipeline.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Steps 5 to 8 of the flow at the gateway: picks a healthy channel of the endpoint's site
 * round-robin, queues the request for that connection point's pulls, waits for the site's answer
 * and streams it to the device. An idempotent request whose channel dies before its answer began
 * is tried again on another connection point; any other gets 502.
 */
public final class ChannelForwarder implements Forwarder {

    private static final Logger LOG = LoggerFactory.getLogger(ChannelForwarder.class);
    private static final int MAX_ATTEMPTS = 3;

    private final ChannelRegistry registry;
    private final Duration requestTimeout;
    private final TrafficMeter traffic;
    private final AccessLog accessLog;

    public ChannelForwarder(ChannelRegistry registry, Duration requestTimeout, TrafficMeter traffic, AccessLog accessLog) {
        this.registry = registry;
        this.requestTimeout = requestTimeout;
        this.traffic = traffic;
        this.accessLog = accessLog;
    }

    @Override
    public void forward(Route route, Request request, InputStream body, Response response) throws IOException {
        var head = head(route, request);
        var access = accessLog.start(route, request);
        boolean hasBody = RequestLengthStep.hasBody(request);
        Set<Channel> tried = new HashSet<>();
        Exchange exchange;
        Exchange.Delivery delivery = null;
        while (delivery == null) {
            Channel channel = registry.next(route.site(), tried).orElseThrow(() -> tried.isEmpty()
                    ? new RequestRefused(503, "no_connection_point", "no healthy connection point for site " + route.site())
                    : new RequestRefused(502, "channel_lost", "every connection point of site " + route.site() + " failed"));
            exchange = new Exchange(route, head, body, hasBody);
            access.through(channel.point.name());
            channel.submit(exchange);
            try {
                delivery = exchange.answer.get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RequestRefused r) {
                    record(route, access, exchange.bytesIn.get(), 0, r.status());
                    throw r;
                }
                if (e.getCause() instanceof Exchange.ChannelLost lost && exchange.retryable() && tried.size() + 1 < MAX_ATTEMPTS) {
                    LOG.info("retrying {} {} on another connection point: {}", route.method(), route.path().encoded(), lost.getMessage());
                    tried.add(channel);
                    continue;
                }
                record(route, access, exchange.bytesIn.get(), 0, 502);
                throw new RequestRefused(502, "channel_lost", e.getCause().getMessage());
            } catch (TimeoutException e) {
                exchange.lost("the device stopped waiting");
                record(route, access, exchange.bytesIn.get(), 0, 504);
                throw new RequestRefused(504, "site_timeout", "no answer from site " + route.site() + " within " + requestTimeout);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                exchange.lost("interrupted");
                throw new IOException("interrupted");
            }
            try {
                deliver(route, access, exchange, delivery, response);
            } catch (SiteStreamBroken broken) {
                // The channel died before a byte reached the device: as good as no answer at all.
                if (!response.isCommitted() && exchange.retryable() && tried.size() + 1 < MAX_ATTEMPTS) {
                    LOG.info("retrying {} {} on another connection point: {}", route.method(), route.path().encoded(),
                            broken.getMessage());
                    response.reset();
                    tried.add(channel);
                    delivery = null;
                    continue;
                }
                record(route, access, exchange.bytesIn.get(), 0, 502);
                if (!response.isCommitted()) {
                    response.reset();
                    throw new RequestRefused(502, "channel_lost", "the site's answer broke off: " + broken.getMessage());
                }
                throw new IOException("site stream broke mid-response", broken);
            }
        }
    }

    /** Streams the site's answer to the device; a break on either side aborts the other. */
    private void deliver(Route route, AccessLog.Entry access, Exchange exchange, Exchange.Delivery delivery, Response response)
            throws IOException {
        FrameHead.Response head = delivery.head();
        if (head.error() != null) {
            delivery.done().complete(null);
            record(route, access, exchange.bytesIn.get(), 0, head.status());
            throw new RequestRefused(head.status(), head.error(), "from connection point");
        }
        response.setStatus(head.status());
        if (head.headers() != null) {
            for (List<String> h : head.headers()) {
                if (h.size() == 2 && ForwardedHeaders.toDevice(h.get(0))) {
                    response.getHeaders().add(h.get(0), h.get(1));
                }
            }
        }
        long out = 0;
        OutputStream device = Content.Sink.asOutputStream(response);
        InputStream site = delivery.body();
        byte[] buf = new byte[8 * 1024];
        try {
            int n;
            while ((n = readSite(site, buf)) >= 0) {
                device.write(buf, 0, n);
                out += n;
            }
            device.close();
            delivery.done().complete(null);
        } catch (IOException e) {
            delivery.done().completeExceptionally(e);
            record(route, access, exchange.bytesIn.get(), out, 499);
            throw e;
        } catch (SiteStreamBroken e) {
            delivery.done().completeExceptionally(e);
            throw e; // counted by the caller, which may still try another connection point
        }
        record(route, access, exchange.bytesIn.get(), out, head.status());
    }

    /** Reading the site's answer from the channel failed: the channel, not the device, broke. */
    private static final class SiteStreamBroken extends RuntimeException {
        SiteStreamBroken(IOException cause) {
            super(cause.getMessage(), cause, false, false);
        }
    }

    private static int readSite(InputStream site, byte[] buf) {
        try {
            return site.read(buf);
        } catch (IOException e) {
            throw new SiteStreamBroken(e);
        }
    }

    /** The outcome of a forwarded request: counted per endpoint, and one access log line. */
    private void record(Route route, AccessLog.Entry access, long in, long out, int status) {
        traffic.record(route.endpoint().endpoint().externalPath(), in, out, status);
        access.finished(status, in, out);
    }

    /** What the connection point needs: the canonical request and the headers that may pass. */
    static FrameHead.Request head(Route route, Request request) {
        var device = route.device();
        boolean bearerDevice = device.method().equals("token") || device.method().equals("entra");
        var headers = new ArrayList<>(ForwardedHeaders.fromDevice(request.getHeaders(), bearerDevice));
        headers.add(List.of(ForwardedHeaders.DEVICE_ID, device.id()));
        headers.add(List.of(ForwardedHeaders.AUTH_METHOD, device.method()));
        headers.add(List.of(ForwardedHeaders.DEVICE_NAME, ascii(device.name())));
        if (request.getConnectionMetaData().getRemoteSocketAddress() instanceof InetSocketAddress a) {
            headers.add(List.of(ForwardedHeaders.CLIENT_ADDRESS, a.getAddress().getHostAddress()));
        }
        return new FrameHead.Request(null, route.method(), route.endpoint().endpoint().externalPath(),
                route.path().encoded(), route.query(), headers);
    }

    /** Header values stay printable ASCII whatever a certificate subject holds. */
    static String ascii(String s) {
        var sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            sb.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return sb.toString();
    }
}
