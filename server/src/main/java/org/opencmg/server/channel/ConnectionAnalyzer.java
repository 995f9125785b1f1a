package org.opencmg.server.channel;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.opencmg.api.Refusal;
import org.opencmg.channel.ChannelProtocol;
import org.opencmg.channel.ForwardedHeaders;
import org.opencmg.server.pipeline.RequestExplainer;
import org.opencmg.server.state.LiveState;
import org.opencmg.server.store.ConnectionPointStore.Registration;
import org.opencmg.server.store.PublishedEndpoint;

/**
 * The active connection analyzer at one gateway instance ({@code POST /api/analyze}): for each kind
 * of device whose credentials the administrator gave, and each published role (or role ID asked
 * for), runs this instance's own authentication, mapping and authorisation on a HEAD of one of the
 * role's endpoints (as {@link RequestExplainer} does), then sends that HEAD as a synthetic exchange
 * over <em>every</em> channel of the role's site, not the round-robin's pick, and reports each hop.
 *
 * <p>Only an administrator can choose a channel: devices never can. A synthetic exchange carries
 * {@value ChannelProtocol#ANALYZER_HEADER}, is counted in {@code cmg_analyzer_exchanges_total}
 * (never in device traffic), and is only ever a HEAD (or GET) of a path a published mapping allows
 * that method on: the connection point checks it against its own table like any other.
 */
public final class ConnectionAnalyzer {

    /** The hops of a device request, in order; the CLI checks {@code tls} itself, from the device's side. */
    public static final List<String> HOPS =
            List.of("tls", "authentication", "mapping", "channel", "connection_point", "internal_server", "answer");

    /** A kind of device and the auth method its requests are mapped by. */
    public enum Kind {
        CERTIFICATE("pki", "/CCM_Proxy_MutualAuth/"),
        TOKEN("token", "/CCM_Proxy_ServerAuth/"),
        ENTRA("token", "/CCM_Proxy_ServerAuth/");

        final String authMethod;
        final String family;

        Kind(String authMethod, String family) {
            this.authMethod = authMethod;
            this.family = family;
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * What the administrator gave: a certificate chain, an access token of a token device, an
     * access token of an Entra device (traded at CCM_STS for its Entra token). Any may be missing.
     */
    public record Credentials(List<X509Certificate> certificate, String token, String entra) {
        Optional<Object> of(Kind kind) {
            return Optional.ofNullable(
                    switch (kind) {
                        case CERTIFICATE -> certificate == null || certificate.isEmpty() ? null : certificate;
                        case TOKEN -> token == null || token.isBlank() ? null : token;
                        case ENTRA -> entra == null || entra.isBlank() ? null : entra;
                    });
        }
    }

    /** One hop's verdict: ok, failed (with its reason code), or not_reached after a failure. */
    public record Hop(String name, String verdict, String reason, String detail) {
        static Hop ok(String name, String detail) {
            return new Hop(name, "ok", null, detail);
        }

        static Hop failed(String name, String reason, String detail) {
            return new Hop(name, "failed", reason, detail);
        }
    }

    /**
     * One kind of device through this instance, one connection point, one role.
     *
     * @param verdict   ok, failed or skipped
     * @param failedHop the first hop that failed, or null
     */
    public record Row(
            String kind,
            String instance,
            String connectionPoint,
            String role,
            String site,
            String method,
            String path,
            String verdict,
            String failedHop,
            String reason,
            String detail,
            List<Hop> hops) {}

    public record Report(String instance, List<Row> rows) {
        public boolean allPassed() {
            return rows.stream().noneMatch(r -> r.verdict().equals("failed"));
        }
    }

    private final String instance;
    private final RequestExplainer explainer;
    private final ChannelRegistry registry;
    private final LiveState live;
    private final Duration timeout;
    private final MeterRegistry meters;

    public ConnectionAnalyzer(
            String instance,
            RequestExplainer explainer,
            ChannelRegistry registry,
            LiveState live,
            Duration timeout,
            MeterRegistry meters) {
        this.instance = instance;
        this.explainer = explainer;
        this.registry = registry;
        this.live = live;
        this.timeout = timeout;
        this.meters = meters;
    }

    /** @param roles role IDs that must be published (checked beside every published role); may be empty */
    public Report analyze(Credentials credentials, List<String> roles) {
        var rows = new ArrayList<Row>();
        for (Kind kind : Kind.values()) {
            Optional<Object> given = credentials.of(kind);
            if (given.isEmpty()) {
                rows.add(new Row(
                        kind.label(),
                        instance,
                        null,
                        null,
                        null,
                        null,
                        null,
                        "skipped",
                        null,
                        null,
                        "no credentials given",
                        List.of()));
                continue;
            }
            List<X509Certificate> chain = kind == Kind.CERTIFICATE ? credentials.certificate() : List.of();
            String bearer = kind == Kind.CERTIFICATE ? null : (String) given.get();
            var probes = probes(kind, roles);
            if (probes.isEmpty()) {
                rows.add(new Row(
                        kind.label(),
                        instance,
                        null,
                        null,
                        null,
                        null,
                        null,
                        "skipped",
                        null,
                        null,
                        "no published role takes this kind of device",
                        List.of()));
            }
            for (var probe : probes) {
                rows.addAll(analyze(kind, probe, chain, bearer));
            }
        }
        return new Report(instance, rows);
    }

    /** What to send for one role: a HEAD (or GET) of one of its endpoints that a device of this kind may use. */
    private record Probe(String role, String method, String path) {}

    private List<Probe> probes(Kind kind, List<String> roles) {
        var byRole = new LinkedHashMap<String, List<PublishedEndpoint>>();
        live.mappings().endpoints().stream()
                .filter(e -> !e.endpoint().heldByGateway())
                .sorted(Comparator.comparing(
                        (PublishedEndpoint e) -> e.endpoint().externalPath().toLowerCase(Locale.ROOT)))
                .forEach(e -> byRole.computeIfAbsent(
                                e.roleId() != null ? e.roleId() : e.endpoint().externalPath(), r -> new ArrayList<>())
                        .add(e));
        var wanted = new LinkedHashSet<String>(roles);
        wanted.addAll(byRole.keySet());
        var probes = new ArrayList<Probe>();
        for (String role : wanted) {
            var usable = byRole.getOrDefault(role, List.of()).stream()
                    .filter(e -> e.endpoint().authMethods().contains(kind.authMethod))
                    .filter(e -> e.endpoint().methods().contains("HEAD")
                            || e.endpoint().methods().contains("GET"))
                    .findFirst();
            if (usable.isPresent()) {
                var e = usable.get().endpoint();
                probes.add(new Probe(role, e.methods().contains("HEAD") ? "HEAD" : "GET", e.externalPath()));
            } else if (roles.contains(role)) {
                // Asked for, but nothing of it published for this kind: the mapping step says why.
                probes.add(new Probe(role, "HEAD", kind.family + role + "/"));
            }
            // A published role no device of this kind may use (a MutualAuth-only one for a token device) is not this
            // kind's.
        }
        return probes;
    }

    private List<Row> analyze(Kind kind, Probe probe, List<X509Certificate> chain, String bearer) {
        var e = explainer.explain(probe.method(), probe.path(), chain, bearer);
        var hops = new ArrayList<Hop>();
        if (!e.served() && e.devices().isEmpty()) {
            hops.add(Hop.failed("authentication", e.reason(), e.detail()));
            return List.of(row(kind, null, probe, null, hops));
        }
        hops.add(Hop.ok("authentication", String.join(", ", e.devices())));
        if (!e.served() && !Refusal.NO_CONNECTION_POINT.code().equals(e.reason())) {
            hops.add(Hop.failed("mapping", e.reason(), e.detail()));
            return List.of(row(kind, null, probe, null, hops));
        }
        if (e.served()
                && (e.endpoint() == null
                        || e.site() == null
                        || e.connectionPoint() == null && e.internalUrl() == null)) {
            hops.add(Hop.failed("mapping", "not_forwarded", "answered by the gateway itself: " + e.detail()));
            return List.of(row(kind, null, probe, null, hops));
        }
        var published = e.served()
                ? null
                : endpointOf(probe.path()); // no connection point: the explainer stopped before saying
        String site = e.served() ? e.site() : published == null ? null : published.site();
        String endpoint = e.served()
                ? e.endpoint()
                : published == null ? null : published.endpoint().externalPath();
        hops.add(Hop.ok("mapping", endpoint + (e.device() == null ? "" : " (as " + e.device() + ")")));
        var rows = new ArrayList<Row>();
        var channels = registry.channels(site);
        var seen = new HashSet<String>();
        for (Channel c : channels) {
            seen.add(c.name());
            var through = new ArrayList<>(hops);
            through.addAll(exchange(c, probe, endpoint, e.device()));
            rows.add(row(kind, c.name(), probe, site, through));
        }
        // A registered point of the site with no channel to this instance: its devices' requests never reach it from
        // here.
        live.registeredPoints().byThumbprint().values().stream()
                .flatMap(List::stream)
                .filter(r -> site != null && r.site().equals(site) && !seen.contains(r.name()))
                .map(Registration::name)
                .distinct()
                .sorted()
                .forEach(name -> {
                    var through = new ArrayList<>(hops);
                    through.add(Hop.failed(
                            "channel",
                            "channel_down",
                            "connection point " + name + " has no channel to instance " + instance));
                    rows.add(row(kind, name, probe, site, through));
                });
        if (rows.isEmpty()) {
            var through = new ArrayList<>(hops);
            through.add(Hop.failed(
                    "channel",
                    "no_connection_point",
                    "no connection point of site " + site + " is registered and connected to instance " + instance));
            rows.add(row(kind, null, probe, site, through));
        }
        return rows;
    }

    private PublishedEndpoint endpointOf(String path) {
        return live.mappings().endpoints().stream()
                .filter(p -> path.equalsIgnoreCase(p.endpoint().externalPath()))
                .findFirst()
                .orElse(null);
    }

    /** The synthetic exchange on one chosen channel: the channel, connection point, internal server and answer hops. */
    private List<Hop> exchange(Channel channel, Probe probe, String endpoint, String device) {
        if (!channel.usable()) {
            count("channel_down");
            return List.of(Hop.failed("channel", "channel_down", "the channel of " + channel.name() + " is closing"));
        }
        var exchange = new Exchange();
        exchange.openBodiless(channel, head(probe, endpoint, device));
        MetaData.Response answer;
        try {
            answer = exchange.head.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException x) {
            exchange.cancel();
            count("site_timeout");
            return List.of(
                    Hop.ok("channel", null),
                    Hop.ok("connection_point", null),
                    Hop.failed("internal_server", "site_timeout", "no answer within " + timeout.toSeconds() + " s"));
        } catch (ExecutionException x) {
            count("channel_lost");
            return List.of(Hop.failed(
                    "channel", "channel_lost", String.valueOf(x.getCause().getMessage())));
        } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
            exchange.cancel();
            return List.of(Hop.failed("channel", "channel_lost", "interrupted"));
        }
        exchange.cancel(); // a HEAD has no body; a GET's is not wanted
        String refusal = answer.getHttpFields().get(ChannelProtocol.REFUSAL_HEADER);
        String rtt = channel.rttMicros < 0 ? null : "round trip " + channel.rttMicros / 1000.0 + " ms";
        if (refusal != null) {
            count(refusal);
            if (refusal.startsWith("internal_server")) {
                return List.of(
                        Hop.ok("channel", rtt),
                        Hop.ok("connection_point", null),
                        Hop.failed(
                                "internal_server",
                                refusal,
                                answer.getStatus() + " from connection point " + channel.name()));
            }
            return List.of(
                    Hop.ok("channel", rtt),
                    Hop.failed(
                            "connection_point",
                            refusal,
                            answer.getStatus() + " from connection point " + channel.name()));
        }
        var hops = List.of(Hop.ok("channel", rtt), Hop.ok("connection_point", null), Hop.ok("internal_server", null));
        var all = new ArrayList<>(hops);
        if (answer.getStatus() >= 500) {
            count("internal_server_error");
            all.add(Hop.failed(
                    "answer", "internal_server_error", "the internal server answered " + answer.getStatus()));
        } else {
            count("ok");
            all.add(Hop.ok("answer", probe.method() + " answered " + answer.getStatus() + " by the internal server"));
        }
        return all;
    }

    /** As a device's request would reach the connection point, marked as synthetic. */
    private static MetaData.Request head(Probe probe, String endpoint, String device) {
        int colon = device == null ? -1 : device.indexOf(':');
        var fields = HttpFields.build();
        fields.put(ForwardedHeaders.DEVICE_ID, "analyzer");
        fields.put(ForwardedHeaders.AUTH_METHOD, colon < 0 ? "analyzer" : device.substring(0, colon));
        fields.put(
                ForwardedHeaders.DEVICE_NAME,
                ChannelForwarder.ascii(colon < 0 ? "analyzer" : device.substring(colon + 1)));
        fields.put(ChannelProtocol.ENDPOINT_HEADER, endpoint);
        fields.put(ChannelProtocol.ANALYZER_HEADER, "1");
        var uri =
                HttpURI.build().scheme("https").host(ChannelProtocol.AUTHORITY).path(probe.path());
        return new MetaData.Request(probe.method(), uri.asImmutable(), HttpVersion.HTTP_2, fields, 0);
    }

    private void count(String outcome) {
        Counter.builder("cmg_analyzer_exchanges_total")
                .description(
                        "Synthetic exchanges of the connection analyzer, by outcome (ok or a reason code); never device traffic")
                .tag("outcome", outcome)
                .register(meters)
                .increment();
    }

    private Row row(Kind kind, String point, Probe probe, String site, List<Hop> hops) {
        Hop failed = hops.stream()
                .filter(h -> h.verdict().equals("failed"))
                .findFirst()
                .orElse(null);
        var all = new ArrayList<Hop>();
        boolean after = false;
        for (String name : HOPS.subList(1, HOPS.size())) {
            Hop h = hops.stream().filter(x -> x.name().equals(name)).findFirst().orElse(null);
            if (h == null) {
                h = new Hop(name, after || failed != null ? "not_reached" : "ok", null, null);
            }
            after |= h.verdict().equals("failed");
            all.add(h);
        }
        return new Row(
                kind.label(),
                instance,
                point,
                probe.role(),
                site,
                probe.method(),
                probe.path(),
                failed == null ? "ok" : "failed",
                failed == null ? null : failed.name(),
                failed == null ? null : failed.reason(),
                failed == null ? null : failed.detail(),
                all);
    }

    /** For the admin API's JSON: names as the CLI and scripts read them. */
    public static Map<String, Object> json(Report report) {
        var m = new LinkedHashMap<String, Object>();
        m.put("instance", report.instance());
        m.put("ok", report.allPassed());
        m.put("rows", report.rows());
        return m;
    }
}
