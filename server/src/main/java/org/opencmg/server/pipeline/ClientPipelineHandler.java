package org.opencmg.server.pipeline;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.opencmg.api.Device;
import org.opencmg.api.Refusal;
import org.opencmg.server.notification.NotificationChannels;
import org.opencmg.server.refusal.Refusals;
import org.opencmg.server.refusal.RequestRefused;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client connector's request flow, one step after another as in DESIGN.md:
 * <pre>
 *   framing check ─▶ {@link ClientSteps} (authenticate ─▶ normalise path ─▶ gateway service? (answered here)
 *                 ─▶ match mapping ─▶ authorise device ─▶ quota (endpoint and device budgets))
 *                 ─▶ request length
 *                 ─▶ forward (connection point of the endpoint's site)
 *                    or hold (a client notification endpoint: the gateway keeps the device's channel)
 * </pre>
 * Any step may refuse with a {@link RequestRefused}; the refusal is logged, counted and answered
 * with its status and reason code. The device never sees a stack trace.
 * {@code GET /health} is answered before all of it, without authentication.
 */
public final class ClientPipelineHandler extends Handler.Abstract {

    private static final Logger LOG = LoggerFactory.getLogger(ClientPipelineHandler.class);

    private final Supplier<ServerNames> serverNames;
    private final ClientSteps steps;
    private final RequestLengthStep length = new RequestLengthStep();
    private final Forwarder forwarder;
    private final NotificationChannels notifications;
    private final Refusals refusals;
    private final Health health;
    private final MeterRegistry meters;

    /**
     * @param serverNames the names this gateway answers for (they follow a renewed certificate); requests
     *                    naming another host are refused
     */
    public ClientPipelineHandler(
            Supplier<ServerNames> serverNames,
            ClientSteps steps,
            Forwarder forwarder,
            NotificationChannels notifications,
            Refusals refusals,
            Health health,
            MeterRegistry meters) {
        super(InvocationType.BLOCKING);
        this.serverNames = serverNames;
        this.steps = steps;
        this.forwarder = forwarder;
        this.notifications = notifications;
        this.refusals = refusals;
        this.health = health;
        this.meters = meters;
    }

    /** Times every request ({@code cmg_requests_seconds}, by status class, with a histogram for latency quantiles), when it ends. */
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        long start = System.nanoTime();
        return process(request, response, Callback.from(callback, () -> time(response, start)));
    }

    private void time(Response response, long start) {
        int cls = Math.max(1, Math.min(5, response.getStatus() / 100));
        Timer t = timers[cls];
        if (t == null) {
            t = Timer.builder("cmg_requests")
                    .description("Device requests on the client connector, by status class")
                    .tag("status", cls + "xx")
                    .publishPercentileHistogram()
                    .register(meters);
            timers[cls] = t;
        }
        t.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }

    private final Timer[] timers = new Timer[6];

    private boolean process(Request request, Response response, Callback callback) {
        HttpURI uri = request.getHttpURI();
        if (uri.getPath() != null && uri.getPath().startsWith("/health")) {
            switch (uri.getPath()) {
                case "/health", "/health/live" -> {
                    answerHealth(request, response, callback, health.live() ? null : "store not answering");
                    return true;
                }
                case "/health/ready" -> {
                    answerHealth(
                            request,
                            response,
                            callback,
                            health.live() ? health.notReadyBecause().orElse(null) : "store not answering");
                    return true;
                }
                default -> {} // not a probe: the pipeline refuses it like any unmapped path
            }
        }
        var progress = new ClientSteps.Progress();
        try {
            checkTarget(uri);
            checkHeaderFields(request);
            checkTransferCoding(request);
            var outcome = steps.run(
                    new JettyClientRequest(request),
                    uri.getPath(),
                    uri.getQuery(),
                    request.getMethod(),
                    true,
                    progress);
            if (outcome instanceof ClientSteps.Served served) {
                steps.services()
                        .serve(
                                served.service(),
                                request,
                                response,
                                callback,
                                served.path(),
                                served.query(),
                                progress.devices());
                return true;
            }
            var mapped = (ClientSteps.Mapped) outcome;
            var match = mapped.match();
            if (match.endpoint().endpoint().heldByGateway()) {
                notifications.hold(
                        request,
                        response,
                        callback,
                        mapped.device(),
                        match.endpoint().site());
                return true;
            }
            InputStream body = length.limitedBody(
                    request,
                    Content.Source.asInputStream(request),
                    match.endpoint().endpoint().maxRequestBytes());
            forwarder.forward(
                    mapped.route(request.getMethod()),
                    request,
                    body,
                    mapped.admitted().meter(request, response));
            callback.succeeded();
        } catch (RequestRefused r) {
            Device device = progress.device();
            refuse(
                    request,
                    response,
                    callback,
                    r,
                    device != null
                            ? device
                            : progress.devices().isEmpty()
                                    ? null
                                    : progress.devices().getFirst());
        } catch (IOException e) {
            // The device went away or its body broke off: nothing to answer.
            LOG.debug("client I/O ended: {}", e.toString());
            callback.failed(e);
        } catch (RuntimeException e) {
            String incident = UUID.randomUUID().toString().substring(0, 8);
            LOG.error("internal error {} on {} {}", incident, request.getMethod(), uri.getPath(), e);
            refuse(
                    request,
                    response,
                    callback,
                    new RequestRefused(Refusal.INTERNAL_ERROR, "incident " + incident),
                    progress.device());
        }
        return true;
    }

    /**
     * The authority (an absolute-form target's, else the Host header's: Jetty merges them as RFC 9112
     * says) must name this gateway; authority-form and asterisk-form targets are refused.
     */
    private void checkTarget(HttpURI uri) {
        if (uri.getHost() != null && !serverNames.get().matches(uri.getHost())) {
            throw new RequestRefused(Refusal.MISDIRECTED_HOST, "request names host " + uri.getHost());
        }
        if (uri.getPath() == null || !uri.getPath().startsWith("/")) {
            throw new RequestRefused(Refusal.NOT_ORIGIN_FORM, "request target is not a path");
        }
    }

    /**
     * A client needs a dozen header fields, not thousands: a flood of tiny ones fits in the 16 KB
     * head limit and would cost every later step a walk over all of them. Two Authorization fields
     * leave open which one an authenticator reads, so neither is.
     */
    private static void checkHeaderFields(Request request) {
        int count = request.getHeaders().size();
        if (count > MAX_HEADER_FIELDS) {
            throw new RequestRefused(Refusal.TOO_MANY_HEADERS, count + " header fields, at most " + MAX_HEADER_FIELDS);
        }
        if (request.getHeaders().getValuesList(HttpHeader.AUTHORIZATION).size() > 1) {
            throw new RequestRefused(Refusal.DUPLICATE_AUTHORIZATION, "more than one Authorization field");
        }
        // IIS and CGI-style servers read '_' and '-' alike in header names: X_OpenCMG_Device_Id would
        // be a second spelling of a header the gateway owns. No device needs one.
        for (HttpField field : request.getHeaders()) {
            if (field.getName().indexOf('_') >= 0) {
                throw new RequestRefused(Refusal.UNDERSCORE_IN_HEADER_NAME, field.getName());
            }
        }
    }

    static final int MAX_HEADER_FIELDS = 100;

    /** Jetty parses chunked framing; any other transfer coding (or a list of them) is refused. */
    private static void checkTransferCoding(Request request) {
        var codings = request.getHeaders().getValuesList(HttpHeader.TRANSFER_ENCODING);
        if (!codings.isEmpty()
                && !(codings.size() == 1
                        && "chunked".equalsIgnoreCase(codings.getFirst().strip()))) {
            throw new RequestRefused(Refusal.BAD_TRANSFER_ENCODING, String.join(",", codings));
        }
    }

    private void refuse(Request request, Response response, Callback callback, RequestRefused r, Device device) {
        refusals.record(
                r,
                request.getMethod(),
                request.getHttpURI().getPathQuery(),
                remote(request),
                device == null ? "" : device.method() + ":" + device.name());
        if (response.isCommitted()) {
            callback.failed(r);
            return;
        }
        response.reset();
        response.setStatus(r.status());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        r.headers().forEach(response.getHeaders()::put);
        boolean bodyUnread = RequestLengthStep.hasBody(request);
        if (bodyUnread
                || r.status() == 400
                || r.status() == 413
                || r.status() == 414
                || r.status() == 431
                || r.status() == 421) {
            // The framing or size is in doubt, or a body is left unread: the connection ends with this
            // answer, and the device is told so rather than finding out on its next request.
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }
        Content.Sink.write(response, true, r.status() + " " + r.reason() + "\n", callback);
    }

    /** 200 "ok", or 503 "unavailable: why" when {@code problem} is set. */
    private void answerHealth(Request request, Response response, Callback callback, String problem) {
        boolean ok = problem == null;
        response.setStatus(ok ? 200 : 503);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        byte[] body = (ok ? "ok\n" : "unavailable: " + problem + "\n").getBytes(StandardCharsets.US_ASCII);
        response.write(
                true, "HEAD".equals(request.getMethod()) ? ByteBuffer.allocate(0) : ByteBuffer.wrap(body), callback);
    }

    private static String remote(Request request) {
        return request.getConnectionMetaData().getRemoteSocketAddress() instanceof InetSocketAddress a
                ? a.getAddress().getHostAddress() + ":" + a.getPort()
                : "?";
    }
}
