package org.opencmg.server.pipeline;

import java.net.InetSocketAddress;
import java.net.URI;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.eclipse.jetty.http.HttpFields;
import org.opencmg.api.ClientRequest;
import org.opencmg.api.Device;
import org.opencmg.api.Refusal;
import org.opencmg.server.refusal.RequestRefused;

/**
 * Answers "what would the gateway do with this request?" by running the very steps of the client
 * pipeline — authentication, normalisation, gateway services, mapping, authorisation, the
 * endpoint's budgets (counting nothing), choice of connection point — on a described request,
 * without forwarding anything.
 */
public final class RequestExplainer {

    /**
     * @param served          true if the request would be answered (by a gateway service or a site)
     * @param status          the refusal's status, or 200 when served
     * @param reason          the refusal's reason code, or "" when served
     * @param roleHeaders     when forwarded: the headers the endpoint's role declared, on top of the standard ones
     * @param droppedHeaders  when forwarded: which of the described request's headers the site would not see
     *                        (and the gateway would count), lower case
     */
    public record Explanation(
            boolean served,
            int status,
            String reason,
            String detail,
            List<String> devices,
            String device,
            String service,
            String endpoint,
            String internalUrl,
            String site,
            String connectionPoint,
            List<String> roleHeaders,
            List<String> droppedHeaders) {}

    private final ClientSteps steps;
    private final Function<String, Optional<String>> connectionPointOf;

    /** @param connectionPointOf the connection point that would serve a site next, if any is up */
    public RequestExplainer(ClientSteps steps, Function<String, Optional<String>> connectionPointOf) {
        this.steps = steps;
        this.connectionPointOf = connectionPointOf;
    }

    public Explanation explain(String method, String url, List<X509Certificate> certificates, String bearerToken) {
        return explain(method, url, certificates, bearerToken, HttpFields.EMPTY);
    }

    /** @param headers the request's other headers, to say which of them its site would not see */
    public Explanation explain(
            String method, String url, List<X509Certificate> certificates, String bearerToken, HttpFields headers) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            return refused(new RequestRefused(Refusal.BAD_URL, e.getMessage()), List.of());
        }
        String rawPath = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        String rawQuery = uri.getRawQuery();
        var progress = new ClientSteps.Progress();
        try {
            var outcome = steps.run(
                    new DescribedRequest(method, rawPath, rawQuery, certificates, bearerToken),
                    rawPath,
                    rawQuery,
                    method,
                    false,
                    progress);
            List<Device> devices = progress.devices();
            if (outcome instanceof ClientSteps.Served served) {
                return new Explanation(
                        true,
                        200,
                        "",
                        "answered by the gateway itself",
                        names(devices),
                        devices.isEmpty() ? null : name(devices.getFirst()),
                        served.service().getClass().getSimpleName(),
                        null,
                        null,
                        null,
                        null,
                        null,
                        null);
            }
            var mapped = (ClientSteps.Mapped) outcome;
            var match = mapped.match();
            Device device = mapped.device();
            if (match.endpoint().endpoint().heldByGateway()) {
                return new Explanation(
                        true,
                        200,
                        "",
                        "held by the gateway as the device's notification channel (WebSocket or"
                                + " long poll); the site's notifications reach it through the connection points",
                        names(devices),
                        name(device),
                        null,
                        match.endpoint().endpoint().externalPath(),
                        null,
                        match.endpoint().site(),
                        null,
                        null,
                        null);
            }
            var route = mapped.route(method);
            String site = match.endpoint().site();
            String point = connectionPointOf
                    .apply(site)
                    .orElseThrow(() -> new RequestRefused(
                            Refusal.NO_CONNECTION_POINT, "no healthy connection point for site " + site));
            boolean bearerForSite =
                    device.method().equals("token") || device.method().equals("entra");
            var sent = HttpFields.build(headers);
            if (bearerToken != null && !sent.contains("Authorization")) {
                sent.add("Authorization", "Bearer " + bearerToken);
            }
            return new Explanation(
                    true,
                    200,
                    "",
                    "forwarded",
                    names(devices),
                    name(device),
                    null,
                    match.endpoint().endpoint().externalPath(),
                    route.internalTarget(),
                    site,
                    point,
                    List.copyOf(route.headers().roleHeaders()),
                    route.headers().wouldDrop(sent, bearerForSite));
        } catch (RequestRefused r) {
            return refused(r, progress.devices());
        }
    }

    private static Explanation refused(RequestRefused r, List<Device> devices) {
        return new Explanation(
                false,
                r.status(),
                r.reason(),
                r.detail(),
                names(devices),
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null);
    }

    private static List<String> names(List<Device> devices) {
        return devices.stream().map(RequestExplainer::name).toList();
    }

    private static String name(Device d) {
        return d.method() + ":" + d.name();
    }

    /** A request as described to the explainer, seen through the plugin API. */
    private record DescribedRequest(
            String method, String rawPath, String rawQueryOrNull, List<X509Certificate> peerCertificates, String bearer)
            implements ClientRequest {
        @Override
        public String rawQuery() {
            return rawQueryOrNull == null ? "" : rawQueryOrNull;
        }

        @Override
        public Optional<String> header(String name) {
            return "authorization".equalsIgnoreCase(name) && bearer != null
                    ? Optional.of("Bearer " + bearer)
                    : Optional.empty();
        }

        @Override
        public InetSocketAddress remoteAddress() {
            return new InetSocketAddress("127.0.0.1", 0);
        }

        @Override
        public String tlsProtocol() {
            return "TLSv1.3";
        }
    }
}
