package org.opencmg.connectionpoint;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.opencmg.channel.Durations;
import org.opencmg.pki.TlsProvider;
import org.slf4j.LoggerFactory;

/**
 * The connection point's configuration file (YAML, kebab-case; see config/connection-point.yaml).
 * Relative paths are resolved against the folder of the file. The mappings are not here: they come
 * from the gateways over the channel.
 */
public record ConnectionPointConfig(
        String name,
        String connectionId,
        Path certificate,
        Path key,
        Path gatewayCa,
        List<URI> gateways,
        Internal internal,
        Duration heartbeatInterval,
        Duration backoffInitial,
        Duration backoffMax,
        Monitor monitor,
        Set<InetAddress> notificationSenders,
        TlsProvider tlsProvider,
        Duration tlsWatchInterval) {

    /** Who may post client notifications to the monitor listener when {@code notifications.senders} is not set. */
    static final Set<InetAddress> LOOPBACK_SENDERS = Set.of(InetAddress.getLoopbackAddress(), literal("::1"));

    /**
     * The small HTTP listener for probes and Prometheus ({@code /health/live}, {@code /health/ready},
     * {@code /metrics}); off (null) unless {@code monitor.port} is set: a connection point opens no
     * port by default. {@code host} defaults to loopback.
     */
    public record Monitor(String host, int port) {}

    /**
     * How the connection point calls the site's internal servers.
     *
     * @param ca                      trusted CAs for internal HTTPS servers (null: the JDK's)
     * @param clientCertificate       presented when an internal server asks (default: the channel certificate)
     * @param maxConnectionsPerServer pooled connections per internal server; further requests queue
     * @param responseTimeout         how long an internal server may take to start answering
     * @param allowedUrls             the internal base URLs it may call, whatever the gateway maps
     *                                (empty: any), and the only servers its certificate is shown to
     */
    public record Internal(
            Path ca,
            Path clientCertificate,
            Path clientKey,
            int maxConnectionsPerServer,
            Duration responseTimeout,
            List<String> allowedUrls) {

        InternalAllowList allowList() {
            return InternalAllowList.of(allowedUrls);
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = false)
    record Raw(
            String name,
            String connectionId,
            String certificate,
            String key,
            String gatewayCa,
            List<String> gateways,
            RawInternal internal,
            String heartbeatInterval,
            String checkInterval,
            Integer pulls,
            RawBackoff backoff,
            RawMonitor monitor,
            RawNotifications notifications,
            RawTls tls) {}

    record RawNotifications(List<String> senders) {}

    /**
     * provider: jdk (absent) or conscrypt, for the channels and the internal
     * servers; watch-interval: how often the certificate and key files are checked for a change (0: only on SIGHUP).
     */
    record RawTls(String provider, String watchInterval) {}

    record RawInternal(
            String ca,
            String clientCertificate,
            String clientKey,
            Integer maxConnectionsPerServer,
            String responseTimeout,
            List<String> allowedUrls) {}

    record RawBackoff(String initial, String max) {}

    record RawMonitor(String host, Integer port) {}

    /** The configuration file's reader: kebab-case keys, unknown keys refused (a typo is an error, not a default). */
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

    public static ConnectionPointConfig load(Path file) throws IOException {
        Raw raw;
        try (var in = Files.newInputStream(file)) {
            raw = YAML.readValue(in, Raw.class);
        }
        return resolve(raw, file.toAbsolutePath().getParent());
    }

    static ConnectionPointConfig resolve(Raw raw, Path base) {
        if (raw.name() == null
                || raw.connectionId() == null
                || raw.certificate() == null
                || raw.key() == null
                || raw.gateways() == null
                || raw.gateways().isEmpty()) {
            throw new IllegalArgumentException("name, connection-id, certificate, key and gateways are required");
        }
        var in = raw.internal() == null ? new RawInternal(null, null, null, null, null, null) : raw.internal();
        InternalAllowList.of(in.allowedUrls()); // a malformed entry stops the start, naming it
        Path cert = base.resolve(raw.certificate()).normalize();
        Path key = base.resolve(raw.key()).normalize();
        if (raw.pulls() != null || raw.checkInterval() != null) {
            // Channel v1's keys: v2 has no pulls, and the gateways push every mapping change.
            LoggerFactory.getLogger(ConnectionPointConfig.class)
                    .warn("pulls and check-interval are obsolete since channel"
                            + " protocol 2 and ignored: remove them from the connection point's configuration");
        }
        var b = raw.backoff() == null ? new RawBackoff(null, null) : raw.backoff();
        return new ConnectionPointConfig(
                raw.name(),
                raw.connectionId(),
                cert,
                key,
                raw.gatewayCa() == null ? null : base.resolve(raw.gatewayCa()).normalize(),
                raw.gateways().stream().map(URI::create).toList(),
                new Internal(
                        in.ca() == null ? null : base.resolve(in.ca()).normalize(),
                        in.clientCertificate() == null
                                ? cert
                                : base.resolve(in.clientCertificate()).normalize(),
                        in.clientKey() == null
                                ? key
                                : base.resolve(in.clientKey()).normalize(),
                        in.maxConnectionsPerServer() == null ? 32 : in.maxConnectionsPerServer(),
                        duration(in.responseTimeout(), Duration.ofMinutes(5)),
                        in.allowedUrls() == null ? List.of() : List.copyOf(in.allowedUrls())),
                duration(raw.heartbeatInterval(), Duration.ofSeconds(3)),
                duration(b.initial(), Duration.ofMillis(250)),
                duration(b.max(), Duration.ofSeconds(4)),
                monitor(raw.monitor()),
                raw.notifications() == null || raw.notifications().senders() == null
                        ? LOOPBACK_SENDERS
                        : raw.notifications().senders().stream()
                                .map(ConnectionPointConfig::sender)
                                .collect(Collectors.toUnmodifiableSet()),
                tlsProvider(raw.tls() == null ? null : raw.tls().provider()),
                duration(raw.tls() == null ? null : raw.tls().watchInterval(), Duration.ofSeconds(5)));
    }

    /** netty is the gateway's client connector's engine: a connection point has no such connector. */
    private static TlsProvider tlsProvider(String value) {
        TlsProvider provider = TlsProvider.parse(value, TlsProvider.JDK);
        if (provider == TlsProvider.NETTY) {
            throw new IllegalArgumentException(
                    "tls.provider netty is for the gateway's client connector; a connection point takes jdk or conscrypt");
        }
        return provider;
    }

    /** A sender is an IP address, written as one: a name would be resolved once, and could change. */
    private static InetAddress sender(String address) {
        if (address == null || !address.matches("[0-9A-Fa-f:.]+")) {
            throw new IllegalArgumentException("notifications.senders: '" + address + "' is not an IP address");
        }
        return literal(address);
    }

    private static InetAddress literal(String address) {
        try {
            return InetAddress.getByName(address); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("notifications.senders: '" + address + "' is not an IP address");
        }
    }

    private static Monitor monitor(RawMonitor raw) {
        if (raw == null || raw.port() == null) {
            if (raw != null && raw.host() != null) {
                throw new IllegalArgumentException(
                        "monitor.host needs monitor.port (the monitor listener is off without a port)");
            }
            return null;
        }
        if (raw.port() < 0 || raw.port() > 65535) {
            throw new IllegalArgumentException("monitor.port must be 0-65535, not " + raw.port());
        }
        return new Monitor(raw.host() == null ? "127.0.0.1" : raw.host(), raw.port());
    }

    private static Duration duration(String value, Duration fallback) {
        return value == null ? fallback : Durations.parse(value);
    }
}
