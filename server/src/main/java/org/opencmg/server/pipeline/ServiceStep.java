package org.opencmg.server.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.opencmg.api.BodyStream;
import org.opencmg.api.Device;
import org.opencmg.api.GatewayService;
import org.opencmg.api.ServiceRequest;
import org.opencmg.api.ServiceResponse;
import org.opencmg.server.refusal.RequestRefused;

/**
 * Step 3a: paths the gateway answers itself (token service, tenant lookup, service metadata).
 * Such a request is never forwarded; its body is bounded; a refusal the service returns is logged
 * and counted like any other.
 */
public final class ServiceStep {

    /** The only headers a service's refusal passes on to the device. */
    private static final Set<String> REFUSAL_HEADERS = Set.of("content-range", "retry-after", "www-authenticate");

    /**
     * A request no plugin has authenticated yet carries at most this much body to a service (a
     * registration is a public key and a signed proof): an anonymous connection pins little heap.
     */
    static final int MAX_ANONYMOUS_BODY = 8 * 1024;

    private final GatewayServices services;
    private final RequestLengthStep length = new RequestLengthStep();

    public ServiceStep(GatewayServices services) {
        this.services = services;
    }

    public Optional<GatewayService> find(CanonicalPath path) {
        return services.find(path);
    }

    /** Answers the request; a refusal comes back as {@link RequestRefused} for the caller to log and count. */
    public void serve(
            GatewayService service,
            Request request,
            Response response,
            Callback callback,
            CanonicalPath path,
            String query,
            List<Device> devices)
            throws IOException {
        if (devices.isEmpty() && !service.allowsAnonymous()) {
            throw AuthenticationStep.noCredentials();
        }
        byte[] body = readBody(request, devices.isEmpty() ? MAX_ANONYMOUS_BODY : ServiceRequest.MAX_BODY);
        var headers = new LinkedHashMap<String, String>();
        for (HttpField f : request.getHeaders()) {
            headers.putIfAbsent(f.getName(), f.getValue());
        }
        var params = new LinkedHashMap<String, String>();
        Fields fields = Request.extractQueryParameters(request);
        fields.forEach(f -> params.put(f.getName(), f.getValue()));
        InetSocketAddress remote =
                request.getConnectionMetaData().getRemoteSocketAddress() instanceof InetSocketAddress a ? a : null;
        ServiceResponse answer;
        try {
            answer = service.handle(new ServiceRequest(
                    request.getMethod(), path.encoded(), query, params, headers, body, devices, remote));
        } catch (RuntimeException | LinkageError e) {
            throw new IllegalStateException(
                    "gateway service " + service.getClass().getName() + " failed", e);
        }
        if (answer == null) {
            throw new IllegalStateException(
                    "gateway service " + service.getClass().getName() + " answered null");
        }
        if (answer.reason() != null) {
            var kept = new LinkedHashMap<String, String>();
            answer.headers().forEach((name, value) -> {
                if (REFUSAL_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                    kept.put(name, value);
                }
            });
            throw new RequestRefused(
                    answer.status(), answer.reason(), answer.headers().getOrDefault("X-Refusal-Detail", ""), kept);
        }
        response.setStatus(answer.status());
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        if (answer.contentType() != null) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, answer.contentType());
        }
        for (Map.Entry<String, String> h : answer.headers().entrySet()) {
            if (!h.getKey().regionMatches(true, 0, "X-Refusal-", 0, 10)) {
                response.getHeaders().put(h.getKey(), h.getValue());
            }
        }
        if (answer.stream() != null) {
            writeStreamed(request, response, callback, answer.stream());
            return;
        }
        response.write(true, ByteBuffer.wrap(answer.body()), callback);
    }

    /**
     * A service's body, read only when the request has one, bounded in size and in rate like a
     * forwarded body (413 over {@code max}, 408 when it trickles in): what an unauthenticated
     * client can make the gateway hold is small and short-lived.
     */
    private byte[] readBody(Request request, int max) throws IOException {
        if (!RequestLengthStep.hasBody(request)) {
            return new byte[0];
        }
        try (InputStream in = length.limitedBody(request, Content.Source.asInputStream(request), max)) {
            return in.readNBytes(max + 1);
        }
    }

    private static final int COPY_BUFFER = 64 * 1024;

    /**
     * Copies a streamed body with one buffer, blocking (as the forwarder does): memory stays
     * constant whatever the length. For HEAD only the headers go out. A source shorter than it
     * said fails the response (the device sees a cut, never a wrong length).
     */
    private static void writeStreamed(Request request, Response response, Callback callback, BodyStream stream)
            throws IOException {
        long length = stream.length();
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, length);
        if ("HEAD".equals(request.getMethod()) || length == 0) {
            response.write(true, ByteBuffer.allocate(0), callback);
            return;
        }
        try (InputStream in = stream.open();
                var out = Content.Sink.asOutputStream(response)) {
            byte[] buffer = new byte[COPY_BUFFER];
            long left = length;
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    throw new IOException("streamed body ended " + left + " bytes early");
                }
                out.write(buffer, 0, n);
                left -= n;
            }
        } catch (IOException | RuntimeException e) {
            callback.failed(e);
            return;
        }
        callback.succeeded();
    }
}
