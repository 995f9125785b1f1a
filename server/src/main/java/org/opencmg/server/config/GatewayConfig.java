package org.opencmg.server.config;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
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
import org.eclipse.jetty.util.InetAddressSet;
import org.opencmg.channel.Durations;
import org.opencmg.pki.TlsProvider;

/**
 * The gateway's configuration file (YAML, kebab-case keys; see config/gateway.yaml). Relative paths
 * are resolved against the folder of the file. Everything an administrator changes at run time
 * (mappings, trust, settings) lives in the store, not here.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record GatewayConfig(
        String instance,
        Path dataDir,
        Database database,
        Listener client,
        Listener channel,
        Listener admin,
        Path pluginsDir,
        List<String> authOrder,
        Timeouts timeouts,
        Admin adminAccount,
        SecretsConfig secrets,
        Shutdown shutdown,
        Notifications notifications,
        TlsProvider tlsProvider,
        Membership membership,
        Duration tlsWatchInterval) {

    /**
     * This instance among those sharing the store: it writes a heartbeat every {@code heartbeat}; an
     * instance silent for {@code expiry} is shown gone. {@code channelUrl} is where connection points
     * dial this instance's channel connector, told to them by every instance (null: the host's name
     * and the channel port), so adding an instance needs no change on the premises. {@code adminUrl}
     * is where its admin API answers, for {@code cmg analyze} (null: from the admin connector's host and port).
     */
    public record Membership(String channelUrl, Duration heartbeat, Duration expiry, String adminUrl) {
        public Membership(String channelUrl, Duration heartbeat, Duration expiry) {
            this(channelUrl, heartbeat, expiry, null);
        }
    }

    /**
     * Client notification channels this instance holds: at most {@code maxChannels} in all (each is a
     * connection: stay under the process's file limit) and {@code maxPerDevice} per device identity
     * (a device reconnecting before its old connection timed out, a few processes of one machine).
     */
    public record Notifications(int maxChannels, int maxPerDevice) {}

    /**
     * How a stopping instance (SIGTERM, Ctrl-C) drains: /health/ready answers 503 at once; after
     * {@code grace} (long enough for a load balancer to notice) the connectors stop accepting; the
     * device requests in flight then have up to {@code timeout} to finish, and the channels are ended
     * by GOAWAY within what is left of it.
     */
    public record Shutdown(Duration grace, Duration timeout) {}

    /**
     * Where the master key of the secret store comes from: the environment variable named
     * {@code masterKeyEnv} when it is set, else {@code masterKeyFile} (made, 0600, on first start).
     */
    public record SecretsConfig(String masterKeyEnv, Path masterKeyFile) {}

    /**
     * The store. The password comes from the environment variable {@code passwordEnv} or, if that is
     * not set, from the file {@code passwordFile} (keep it 0600); neither: no password (H2).
     */
    public record Database(String url, String user, String passwordEnv, Path passwordFile, int poolSize) {}

    /**
     * A TLS listener. certificate: PEM chain (leaf first); key: PEM private key. reusePort (client
     * connector only): bind with SO_REUSEPORT, so several gateway processes on one host share the
     * port and the kernel spreads new connections over them (one process holds fewer connections
     * than its open-file limit). proxyProtocol (client connector only): connections come from load
     * balancers ({@code proxyFrom}: addresses or CIDR blocks) and start with a PROXY protocol header
     * naming the device's address; a connection from any other address is refused.
     */
    public record Listener(
            String host,
            int port,
            Path certificate,
            Path key,
            boolean reusePort,
            boolean proxyProtocol,
            List<String> proxyFrom) {
        public Listener withPort(int newPort) {
            return new Listener(host, newPort, certificate, key, reusePort, proxyProtocol, proxyFrom);
        }
    }

    /**
     * @param idle      an idle or stalled device connection is closed after this
     * @param request   how long a device waits for its site's answer to begin
     * @param heartbeat a channel silent for this long is marked down
     * @param header    a device's TLS handshake, and each request head, must arrive within this
     */
    public record Timeouts(Duration idle, Duration request, Duration heartbeat, Duration header) {}

    /** The first administrator, created when the store has none. */
    public record Admin(String user, Path initialPasswordFile) {}

    /** The configuration file's reader: kebab-case keys, unknown keys refused (a typo is an error, not a default). */
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
            .findAndRegisterModules();

    public static GatewayConfig load(Path file) throws IOException {
        RawConfig raw;
        try (var in = Files.newInputStream(file)) {
            raw = YAML.readValue(in, RawConfig.class);
        }
        return raw.resolve(file.toAbsolutePath().getParent());
    }

    /** Mirrors the YAML; optional keys are null here and get their defaults in {@link #resolve}. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    record RawConfig(
            String instance,
            String dataDir,
            Database database,
            RawListener client,
            RawListener channel,
            RawListener admin,
            String pluginsDir,
            List<String> authOrder,
            RawTimeouts timeouts,
            @JsonProperty("admin-account") Admin adminAccount,
            RawSecrets secrets,
            RawShutdown shutdown,
            RawNotifications notifications,
            RawTls tls,
            RawMembership membership) {

        GatewayConfig resolve(Path base) {
            Path data = base.resolve(dataDir == null ? "data" : dataDir).normalize();
            var db = database == null ? new Database(null, null, null, null, 0) : database;
            var dbResolved = new Database(
                    db.url() == null ? "jdbc:h2:file:" + data.resolve("cmg") : db.url(),
                    db.user() == null ? "cmg" : db.user(),
                    db.passwordEnv(),
                    db.passwordFile() == null
                            ? null
                            : base.resolve(db.passwordFile()).normalize(),
                    db.poolSize() <= 0 ? 8 : db.poolSize());
            if (client == null || client.certificate() == null || client.key() == null) {
                throw new IllegalArgumentException("client.certificate and client.key are required");
            }
            var clientResolved = new Listener(
                    client.host() == null ? "0.0.0.0" : client.host(),
                    client.port() == null ? 443 : client.port(),
                    base.resolve(client.certificate()).normalize(),
                    base.resolve(client.key()).normalize(),
                    Boolean.TRUE.equals(client.reusePort()),
                    Boolean.TRUE.equals(client.proxyProtocol()),
                    proxyFrom(client));
            var ch = channel == null ? new RawListener(null, null, null, null, null, null, null) : channel;
            var a = admin == null ? new RawListener(null, null, null, null, null, null, null) : admin;
            if (ch.proxyProtocol() != null
                    || ch.proxyFrom() != null
                    || a.proxyProtocol() != null
                    || a.proxyFrom() != null) {
                throw new IllegalArgumentException(
                        "proxy-protocol and proxy-from are client connector settings (connection "
                                + "points and administrators connect to their connectors directly)");
            }
            // Connection points dial every instance, and an admin connector answers for its own instance
            // (its /metrics, its status): those connectors need a port of their own per instance.
            if (ch.reusePort() != null || a.reusePort() != null) {
                throw new IllegalArgumentException("reuse-port is a client connector setting (channel and admin "
                        + "connectors need a port per instance)");
            }
            var channelResolved = new Listener(
                    ch.host() == null ? "0.0.0.0" : ch.host(),
                    ch.port() == null ? 10124 : ch.port(),
                    ch.certificate() == null
                            ? clientResolved.certificate()
                            : base.resolve(ch.certificate()).normalize(),
                    ch.key() == null
                            ? clientResolved.key()
                            : base.resolve(ch.key()).normalize(),
                    false,
                    false,
                    List.of());
            var adminResolved = new Listener(
                    a.host() == null ? "127.0.0.1" : a.host(),
                    a.port() == null ? 9443 : a.port(),
                    a.certificate() == null
                            ? clientResolved.certificate()
                            : base.resolve(a.certificate()).normalize(),
                    a.key() == null
                            ? clientResolved.key()
                            : base.resolve(a.key()).normalize(),
                    false,
                    false,
                    List.of());
            var t = timeouts == null ? new RawTimeouts(null, null, null, null) : timeouts;
            var account = adminAccount == null ? new Admin(null, null) : adminAccount;
            var sec = secrets == null ? new RawSecrets(null, null) : secrets;
            var stop = shutdown == null ? new RawShutdown(null, null) : shutdown;
            return new GatewayConfig(
                    instance == null ? defaultInstanceName(clientResolved.port()) : instance,
                    data,
                    dbResolved,
                    clientResolved,
                    channelResolved,
                    adminResolved,
                    pluginsDir == null
                            ? defaultPluginsDir(base)
                            : base.resolve(pluginsDir).normalize(),
                    authOrder == null ? List.of("pki", "token", "entra") : List.copyOf(authOrder),
                    new Timeouts(
                            duration(t.idle(), Duration.ofSeconds(30)),
                            duration(t.request(), Duration.ofMinutes(5)),
                            duration(t.heartbeat(), Duration.ofSeconds(10)),
                            duration(t.header(), Duration.ofSeconds(10))),
                    new Admin(
                            account.user() == null ? "admin" : account.user(),
                            account.initialPasswordFile() == null
                                    ? data.resolve("initial-admin-password")
                                    : base.resolve(account.initialPasswordFile())
                                            .normalize()),
                    new SecretsConfig(
                            sec.masterKeyEnv() == null ? "CMG_MASTER_KEY" : sec.masterKeyEnv(),
                            sec.masterKeyFile() == null
                                    ? data.resolve("master.key")
                                    : base.resolve(sec.masterKeyFile()).normalize()),
                    new Shutdown(
                            duration(stop.grace(), Duration.ofSeconds(3)),
                            duration(stop.timeout(), Duration.ofSeconds(30))),
                    notifications(notifications),
                    TlsProvider.parse(tls == null ? null : tls.provider(), TlsProvider.NETTY),
                    membership(membership),
                    duration(tls == null ? null : tls.watchInterval(), Duration.ofSeconds(5)));
        }

        private static Membership membership(RawMembership raw) {
            var m = raw == null ? new RawMembership(null, null, null, null) : raw;
            var heartbeat = duration(m.heartbeat(), Duration.ofSeconds(10));
            var expiry = duration(m.expiry(), Duration.ofSeconds(30));
            if (heartbeat.isNegative() || heartbeat.isZero() || expiry.compareTo(heartbeat.multipliedBy(2)) < 0) {
                throw new IllegalArgumentException(
                        "membership.expiry must be at least twice membership.heartbeat (> 0)");
            }
            hostAndPort(m.channelUrl(), "membership.channel-url", "where connection points dial this instance");
            hostAndPort(m.adminUrl(), "membership.admin-url", "where this instance's admin API answers");
            return new Membership(m.channelUrl(), heartbeat, expiry, m.adminUrl());
        }

        /** An advertised URL, if given, is https://host:port and nothing more. */
        private static void hostAndPort(String value, String key, String what) {
            if (value == null) {
                return;
            }
            try {
                var url = URI.create(value);
                if (!"https".equals(url.getScheme())
                        || url.getHost() == null
                        || url.getRawPath() != null && !url.getRawPath().isEmpty()) {
                    throw new IllegalArgumentException("not https://host:port");
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        key + " must be https://host:port (" + what + "), not \"" + value + "\"");
            }
        }

        private static Notifications notifications(RawNotifications raw) {
            int max = raw == null || raw.maxChannels() == null ? 50_000 : raw.maxChannels();
            int perDevice = raw == null || raw.maxPerDevice() == null ? 4 : raw.maxPerDevice();
            if (max < 0 || perDevice < 1) {
                throw new IllegalArgumentException(
                        "notifications.max-channels must be >= 0 and notifications.max-per-device >= 1");
            }
            return new Notifications(max, perDevice);
        }
    }

    /**
     * Without plugins-dir: the installation's plugins folder ({@code $cmg.home/plugins}, which both
     * launchers set), else a plugins folder beside the config file.
     */
    static Path defaultPluginsDir(Path base) {
        String home = System.getProperty("cmg.home");
        return home == null || home.isBlank()
                ? base.resolve("plugins").normalize()
                : Path.of(home, "plugins").toAbsolutePath().normalize();
    }

    record RawSecrets(String masterKeyEnv, String masterKeyFile) {}

    record RawShutdown(String grace, String timeout) {}

    record RawNotifications(Integer maxChannels, Integer maxPerDevice) {}

    record RawMembership(String channelUrl, String heartbeat, String expiry, String adminUrl) {}

    /**
     * provider: netty (absent: the default; the client connector on Netty's BoringSSL engine, the
     * other connectors on the JDK's provider), conscrypt or jdk (every connector); watch-interval: how often the
     * connectors' certificate and key files are checked for a change (0: only on SIGHUP).
     */
    record RawTls(String provider, String watchInterval) {}

    /** port: absent = the default, 0 = any free port (tests). reusePort, proxyProtocol: absent = false. */
    record RawListener(
            String host,
            Integer port,
            String certificate,
            String key,
            Boolean reusePort,
            Boolean proxyProtocol,
            List<String> proxyFrom) {}

    /**
     * The load balancers a PROXY protocol connector accepts: required with proxy-protocol (deny by
     * default: no list, no connection), meaningless without it; each entry an address or a CIDR block.
     */
    static List<String> proxyFrom(RawListener client) {
        boolean on = Boolean.TRUE.equals(client.proxyProtocol());
        List<String> from = client.proxyFrom() == null ? List.of() : List.copyOf(client.proxyFrom());
        if (on && from.isEmpty()) {
            throw new IllegalArgumentException(
                    "client.proxy-protocol needs client.proxy-from: the load balancers' addresses "
                            + "(a connection from any other address is refused)");
        }
        if (!on && !from.isEmpty()) {
            throw new IllegalArgumentException("client.proxy-from is set but client.proxy-protocol is not true");
        }
        for (String entry : from) {
            try {
                new InetAddressSet().add(entry);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "client.proxy-from: \"" + entry + "\" is not an address or CIDR block");
            }
        }
        return from;
    }

    record RawTimeouts(String idle, String request, String heartbeat, String header) {}

    static Duration duration(String value, Duration fallback) {
        return value == null ? fallback : Durations.parse(value);
    }

    /**
     * The host's own name and the client port. The name used to come from HOSTNAME, which shells do
     * not export: every host was "localhost-443", and their rows in the store collided.
     */
    static String defaultInstanceName(int port) {
        return hostName() + "-" + port;
    }

    /** This host's name (also in the channel URL an instance advertises when membership.channel-url is not set). */
    public static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return System.getenv().getOrDefault("HOSTNAME", "localhost");
        }
    }
}
