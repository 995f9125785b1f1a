package org.opencmg.server.boot;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jetty.JettyServerThreadPoolMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.opencmg.api.GatewayService;
import org.opencmg.api.Jdbc;
import org.opencmg.channel.ChannelProtocol;
import org.opencmg.channel.HeaderPolicy;
import org.opencmg.pki.CertificateReloader;
import org.opencmg.pki.KeyMaterial;
import org.opencmg.pki.PrivateFiles;
import org.opencmg.pki.Thumbprints;
import org.opencmg.server.admin.AdminApiServlet;
import org.opencmg.server.admin.AdminConsole;
import org.opencmg.server.admin.AdminCredentials;
import org.opencmg.server.admin.AdminOperations;
import org.opencmg.server.admin.AdminServices;
import org.opencmg.server.admin.ConfigAsCode;
import org.opencmg.server.admin.LoginThrottle;
import org.opencmg.server.admin.MetricsServlet;
import org.opencmg.server.admin.PasswordHasher;
import org.opencmg.server.channel.AccessLog;
import org.opencmg.server.channel.ChannelAdmission;
import org.opencmg.server.channel.ChannelConnectionFactory;
import org.opencmg.server.channel.ChannelForwarder;
import org.opencmg.server.channel.ChannelGreeting;
import org.opencmg.server.channel.ChannelRegistry;
import org.opencmg.server.channel.ChannelVersionRefusal;
import org.opencmg.server.channel.ConnectionAnalyzer;
import org.opencmg.server.channel.DroppedHeaders;
import org.opencmg.server.channel.TrafficMeter;
import org.opencmg.server.config.GatewayConfig;
import org.opencmg.server.jetty.GatewayServer;
import org.opencmg.server.jetty.HandshakeFailures;
import org.opencmg.server.jetty.NettyClientTls;
import org.opencmg.server.membership.Membership;
import org.opencmg.server.notification.NotificationChannels;
import org.opencmg.server.notification.NotificationHub;
import org.opencmg.server.pipeline.AuthenticationStep;
import org.opencmg.server.pipeline.AuthorizationStep;
import org.opencmg.server.pipeline.ClientPipelineHandler;
import org.opencmg.server.pipeline.ClientSteps;
import org.opencmg.server.pipeline.Forwarder;
import org.opencmg.server.pipeline.GatewayServices;
import org.opencmg.server.pipeline.Health;
import org.opencmg.server.pipeline.MappingStep;
import org.opencmg.server.pipeline.QuotaStep;
import org.opencmg.server.pipeline.RequestExplainer;
import org.opencmg.server.pipeline.ServerNames;
import org.opencmg.server.pipeline.ServiceMetadata;
import org.opencmg.server.pipeline.ServiceStep;
import org.opencmg.server.plugin.GatewayPluginContext;
import org.opencmg.server.plugin.PluginHost;
import org.opencmg.server.refusal.Refusals;
import org.opencmg.server.secrets.MasterKey;
import org.opencmg.server.secrets.PluginSecrets;
import org.opencmg.server.secrets.SecretStore;
import org.opencmg.server.secrets.SessionTicketKeys;
import org.opencmg.server.state.LiveState;
import org.opencmg.server.store.AdminCertificates;
import org.opencmg.server.store.AdminUsers;
import org.opencmg.server.store.AuditTrail;
import org.opencmg.server.store.ChannelStatusStore;
import org.opencmg.server.store.ClientTrustStore;
import org.opencmg.server.store.ConnectionPointStore;
import org.opencmg.server.store.Database;
import org.opencmg.server.store.EndpointStore;
import org.opencmg.server.store.GatewayInstanceStore;
import org.opencmg.server.store.PublishedEndpoint;
import org.opencmg.server.store.QuotaStore;
import org.opencmg.server.store.SettingsCatalog;
import org.opencmg.server.store.SettingsStore;
import org.opencmg.server.store.StateRevisions;
import org.opencmg.server.store.TrafficStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/** One gateway instance: store, plugins, pipeline and connectors, wired in that order. */
public final class Gateway implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

    private final GatewayConfig config;
    private final Clock clock;
    private final Instant startedAt;
    private Database database;
    private LiveState live;
    private PluginHost plugins;
    private DroppedHeaders droppedHeaders;
    private final Set<String> warnedRoleKinds = ConcurrentHashMap.newKeySet();
    private GatewayServer server;
    private Refusals refusals;
    private ChannelRegistry channels;
    private Membership membership;
    private NotificationChannels notifications;
    private HandshakeFailures handshakeFailures;
    private TrafficMeter traffic;
    private ChannelStatusStore channelStatus;
    private TrafficStore trafficStore;
    private SecretStore secrets;
    private SessionTicketKeys ticketKeys;
    private ScheduledExecutorService quotaSharing;

    /** How often an instance writes its endpoint-wide quota counts and reads the others' (off the request path). */
    static final Duration QUOTA_SHARING = Duration.ofSeconds(2);

    private CertificateReloader certificates;
    private volatile ServerNames serverNames;
    private volatile String clientThumbprint;
    /** The connectors' certificates in service, by connector (the console's expiry warnings read it). */
    private final Map<String, X509Certificate> connectorCertificates = new ConcurrentHashMap<>();

    /** How often the gateway PINGs each channel (told to connection points in the hello). */
    public static final Duration HEARTBEAT_INTERVAL = Duration.ofSeconds(3);
    /** Channel connections not admitted yet (handshake or hello under way), in all and per source address. */
    private static final int MAX_PENDING_CHANNEL_CONNECTIONS = 256;
    /** A device's long poll for notifications is answered 204 after this (the device polls again). */
    static final Duration NOTIFICATION_LONG_POLL = Duration.ofMinutes(5);

    private static final int MAX_PENDING_CHANNEL_CONNECTIONS_PER_ADDRESS = 32;
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private JvmGcMetrics gcMetrics;
    private volatile boolean draining;

    private Gateway(GatewayConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.startedAt = clock.instant();
    }

    /**
     * Starts an instance that forwards through its connection points' channels.
     *
     * @param console the admin console to mount on the admin connector (webapp's), or null: API and metrics only
     */
    public static Gateway start(GatewayConfig config, AdminConsole.Factory console) throws Exception {
        return start(config, null, console);
    }

    /** Starts an instance; a non-null {@code forwarder} replaces the channels for steps 5-8 (tests). */
    public static Gateway start(GatewayConfig config, Forwarder forwarder, AdminConsole.Factory console)
            throws Exception {
        var g = new Gateway(config, Clock.systemUTC());
        try {
            g.boot(forwarder, console);
        } catch (Exception | Error e) {
            g.close();
            throw e;
        }
        return g;
    }

    private void boot(Forwarder forwarder, AdminConsole.Factory consoleFactory) throws Exception {
        bridgeJavaUtilLogging();
        Files.createDirectories(config.dataDir());
        database = Database.open(config.database());
        database.meterPool(meters);
        var jdbc = new Jdbc(database.dataSource());
        var revisions = new StateRevisions(jdbc);
        var endpoints = new EndpointStore(jdbc, revisions);
        var trust = new ClientTrustStore(jdbc, revisions);
        var settings = new SettingsStore(jdbc, revisions);
        var audit = new AuditTrail(jdbc, clock);
        var users = new AdminUsers(jdbc);
        var connectionPoints = new ConnectionPointStore(jdbc, revisions);
        channelStatus = new ChannelStatusStore(jdbc);
        trafficStore = new TrafficStore(jdbc);
        ensureAdminAccount(users, audit);
        var masterKey = MasterKey.load(
                System.getenv(config.secrets().masterKeyEnv()), config.secrets().masterKeyFile());
        secrets = new SecretStore(jdbc, masterKey, audit, clock);

        live = new LiveState(revisions, endpoints, trust, settings, connectionPoints);
        live.onRevision(StateRevisions.SECRETS, secrets::reload); // other instances' rotations
        live.startPolling(500);

        plugins = new PluginHost(
                config.pluginsDir(),
                id -> new GatewayPluginContext(
                        id,
                        live,
                        audit,
                        new PluginSecrets(secrets, id),
                        database.dataSource(),
                        clock,
                        config.dataDir()),
                database.dataSource(),
                settings.catalog());
        plugins.start(config.authOrder());
        live.reloadSettings(); // plugins declared their settings' defaults
        droppedHeaders = new DroppedHeaders(meters);
        live.headerPolicies(this::headerPolicy); // role plugins declared their endpoints' headers

        refusals = new Refusals(meters);
        bindJvmMetrics();
        notifications = new NotificationChannels(
                new NotificationHub(
                        config.instance(),
                        config.notifications().maxChannels(),
                        config.notifications().maxPerDevice(),
                        meters),
                NOTIFICATION_LONG_POLL,
                ChannelProtocol.STREAM_IDLE_TIMEOUT);
        channels = new ChannelRegistry(
                config.instance(),
                HEARTBEAT_INTERVAL,
                config.timeouts().heartbeat(),
                channelStatus,
                live,
                clock,
                notifications.hub());
        traffic = new TrafficMeter(config.instance(), trafficStore, clock, meters);
        Gauge.builder("cmg_channels_open", channels, ChannelRegistry::openChannels)
                .description("Open channels of connection points to this instance")
                .register(meters);
        if (forwarder == null) { // a test forwarder needs no channels
            Gauge.builder(
                            "cmg_sites_without_channel",
                            this,
                            g -> g.sitesWithoutChannel().count())
                    .description(
                            "Sites with a published endpoint but no channel to this instance (their devices get 503)")
                    .register(meters);
        }
        var channelAdmission = new ChannelAdmission(
                live::registeredPoints,
                refusals,
                clock,
                config.timeouts().header(),
                MAX_PENDING_CHANNEL_CONNECTIONS,
                MAX_PENDING_CHANNEL_CONNECTIONS_PER_ADDRESS);
        var channelProtocol = new ChannelConnectionFactory(
                ChannelConnectionFactory.newClient(),
                channels,
                new ChannelGreeting(
                        config.instance(), HEARTBEAT_INTERVAL, live, channels, channelAdmission, refusals, clock),
                clock);
        Forwarder steps5to8 = forwarder != null
                ? forwarder
                : new ChannelForwarder(
                        channels, config.timeouts().request(), traffic, new AccessLog(config.instance()));

        KeyMaterial clientKeys =
                KeyMaterial.read(config.client().certificate(), config.client().key());
        KeyMaterial channelKeys = KeyMaterial.read(
                config.channel().certificate(), config.channel().key());
        KeyMaterial adminKeys =
                KeyMaterial.read(config.admin().certificate(), config.admin().key());
        serverNames = ServerNames.of(clientKeys.leaf());
        clientThumbprint = Thumbprints.sha256(clientKeys.leaf());
        // Renewed certificates are put in service without a restart (SIGHUP, or their files change).
        certificates = new CertificateReloader(
                clock,
                (connector, outcome) -> certificateReloads(connector, outcome).increment());
        watchCertificate(GatewayServer.CLIENT, config.client(), clientKeys);
        watchCertificate(GatewayServer.CHANNEL, config.channel(), channelKeys);
        watchCertificate(GatewayServer.ADMIN, config.admin(), adminKeys);
        var gatewayServices = new ArrayList<GatewayService>(plugins.services());
        gatewayServices.add(new ServiceMetadata(() -> clientThumbprint));
        var authentication = new AuthenticationStep(plugins::authenticators);
        var serviceStep = new ServiceStep(new GatewayServices(gatewayServices));
        var mappingStep = new MappingStep(live::mappings);
        var quotaStore = new QuotaStore(jdbc, revisions);
        var quotaStep = new QuotaStep(clock, meters);
        live.onRevision(QuotaStore.TOPIC, () -> quotaStep.apply(quotaStore.list()));
        quotaSharing = shareQuotaUse(quotaStore, quotaStep);
        var authorization = new AuthorizationStep(siteBound());
        var steps = new ClientSteps(authentication, serviceStep, mappingStep, authorization, quotaStep);
        var pipeline = new ClientPipelineHandler(
                () -> serverNames, steps, steps5to8, notifications, refusals, health(forwarder == null), meters);
        var explainer = new RequestExplainer(steps, channels::peek);

        // One throttle for every password check: the console's form and HTTP Basic on /api and /metrics.
        // Its counts and the console's sessions are in the store, shared by every instance on it.
        var credentials = new AdminCredentials(users, clock, new LoginThrottle(jdbc, clock), meters);
        // tls.provider netty: the client connector's session ticket keys, one for every instance on
        // the store; the Secrets page can rotate them now.
        var secretRotations = new ArrayList<>(plugins.secretRotations());
        if (NettyClientTls.runs(config.tlsProvider())) {
            ticketKeys = new SessionTicketKeys(
                    secrets, clock, "gateway " + config.instance(), keys -> server.useTicketKeys(keys));
            secretRotations.add(new PluginHost.ContributedRotation(SessionTicketKeys.SECRET, ticketKeys));
        }
        var services = new AdminServices(
                endpoints,
                trust,
                settings,
                audit,
                live,
                credentials,
                connectionPoints,
                channelStatus,
                trafficStore,
                secrets,
                plugins.roles(),
                plugins.adminResources(),
                secretRotations,
                explainer,
                this::status,
                clock,
                quotaStore,
                quotaStep,
                new ConnectionAnalyzer(
                        config.instance(),
                        explainer,
                        channels,
                        live,
                        config.timeouts().request(),
                        meters));
        var adminCertificates = new AdminCertificates(jdbc);
        var configAsCode = new ConfigAsCode(
                jdbc,
                endpoints,
                trust,
                settings,
                connectionPoints,
                quotaStore,
                audit,
                live,
                plugins::roles,
                clock,
                config.instance());
        var operations = new AdminOperations(services, adminCertificates);
        var console = consoleFactory == null
                ? null
                : consoleFactory.open(new AdminConsole.Parts(
                        operations,
                        jdbc,
                        refusals,
                        plugins::status,
                        plugins.adminPages(),
                        Collections.unmodifiableMap(connectorCertificates)));
        var api = new AdminApiServlet(operations, console, refusals, configAsCode);
        var admin = new ServletContextHandler("/");
        admin.setMaxFormContentSize(2 * 1024 * 1024);
        admin.addServlet(new ServletHolder(api), "/api/*");
        admin.addServlet(new ServletHolder(new MetricsServlet(meters, credentials, secrets, refusals)), "/metrics");
        admin.addServlet(
                new ServletHolder(new MetricsServlet(meters, credentials, secrets, refusals)), "/metrics/token");
        if (console != null) {
            console.mount(admin);
        }

        server = new GatewayServer(
                config,
                clientKeys,
                channelKeys,
                adminKeys,
                this::acceptedClientIssuers,
                live.flag(SettingsCatalog.ENFORCE_TLS12, true),
                pipeline,
                new ChannelVersionRefusal(refusals),
                admin,
                channelAdmission,
                channelProtocol,
                refusals);
        if (ticketKeys != null) {
            // Before the first handshake: the store's keys, so sessions resume on every instance.
            live.onPoll(ticketKeys::tick);
            ticketCounter("issued", NettyClientTls.TicketCounts::issued);
            ticketCounter("resumed", NettyClientTls.TicketCounts::resumed);
            ticketCounter("renewed", NettyClientTls.TicketCounts::renewed);
            ticketCounter("failed", NettyClientTls.TicketCounts::failed);
        }
        notifications.install(server.jetty());
        new JettyServerThreadPoolMetrics(server.jetty().getThreadPool(), List.of()).bindTo(meters); // jetty_threads_*
        handshakeFailures = new HandshakeFailures(meters, clock);
        server.onClientHandshakes(handshakeFailures);
        live.onSettingsChange(
                values -> server.applyTlsPolicy(Boolean.parseBoolean(values.get(SettingsCatalog.ENFORCE_TLS12))));
        server.start();
        membership = new Membership(
                config.instance(),
                channelUrl(),
                adminUrl(),
                BuildVersion.number(),
                new GatewayInstanceStore(jdbc),
                clock,
                config.membership().heartbeat(),
                config.membership().expiry());
        membership.onChange(channels::instancesChanged);
        membership.start(meters);
        certificates.start(config.tlsWatchInterval());
        LOG.info("gateway instance {} ready", config.instance());
    }

    /**
     * Every {@link #QUOTA_SHARING}, while budgets exist: this instance's endpoint-wide counts to the
     * store, the other instances' back, so an endpoint's budget holds for the gateway as a whole
     * (a few seconds behind). Without budgets nothing is written or read.
     */
    private ScheduledExecutorService shareQuotaUse(QuotaStore store, QuotaStep step) {
        step.resume(store.own(config.instance(), clock.instant()));
        var executor = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("quota-sharing").factory());
        shareQuotaUse = () -> {
            try {
                if (!step.use().isEmpty()) {
                    step.othersUse(store.share(config.instance(), step.localUse(), clock.instant()));
                }
            } catch (RuntimeException e) {
                LOG.warn("quota counts not shared with the other instances this time: {}", e.getMessage());
            }
        };
        executor.scheduleWithFixedDelay(
                shareQuotaUse, QUOTA_SHARING.toMillis(), QUOTA_SHARING.toMillis(), TimeUnit.MILLISECONDS);
        return executor;
    }

    /** Shares the quota counts now (it also happens every {@link #QUOTA_SHARING} and at stop). */
    public void shareQuotaUse() {
        shareQuotaUse.run();
    }

    private Runnable shareQuotaUse = () -> {};

    /**
     * Live while the store answers. Ready unless draining, or unless a site with published endpoints
     * has a channel to another live instance but none to this one: a load balancer should send its
     * devices there rather than here, where they would meet {@code 503 no_connection_point}. A site no
     * instance reaches keeps no instance out (that would take every other site's devices down with it).
     * (With a test forwarder there are no channels, and nothing to wait for.)
     */
    private Health health(boolean throughChannels) {
        return new Health() {
            @Override
            public boolean live() {
                return live.fresh(10_000);
            }

            @Override
            public Optional<String> notReadyBecause() {
                if (draining) {
                    return Optional.of("draining");
                }
                if (!throughChannels) {
                    return Optional.empty();
                }
                var missing = sitesWithoutChannel().toList();
                if (missing.isEmpty()) {
                    return Optional.empty();
                }
                Set<String> servedElsewhere = sitesServedByOtherInstances();
                return missing.stream()
                        .filter(servedElsewhere::contains)
                        .findFirst()
                        .map(site -> "no channel for site " + site + " (other instances have one)");
            }
        };
    }

    /** Sites with an up channel to another live instance, as the store shows (rows refreshed every few seconds). */
    private Set<String> sitesServedByOtherInstances() {
        if (membership == null) {
            return Set.of();
        }
        Set<String> up = membership.members().stream()
                .filter(m -> m.state() == Membership.State.UP)
                .map(Membership.Member::instance)
                .collect(Collectors.toSet());
        Instant fresh = clock.instant().minusSeconds(30);
        try {
            return channelStatus.list().stream()
                    .filter(c -> "up".equals(c.state())
                            && !c.instance().equals(config.instance())
                            && up.contains(c.instance())
                            && c.updatedAt().isAfter(fresh))
                    .map(ChannelStatusStore.ChannelStatus::site)
                    .collect(Collectors.toSet());
        } catch (RuntimeException e) {
            return Set.of(); // the store is not answering: liveness says so
        }
    }

    /** The sites that accept only their own devices (setting site-bound), parsed again only when it changes. */
    private Supplier<Set<String>> siteBound() {
        var parsed = new AtomicReference<Map.Entry<String, Set<String>>>(Map.entry("", Set.of()));
        return () -> {
            String value = live.get(SettingsCatalog.SITE_BOUND).orElse("");
            var last = parsed.get();
            if (!last.getKey().equals(value)) {
                last = Map.entry(value, SettingsCatalog.sites(value));
                parsed.set(last);
            }
            return last.getValue();
        };
    }

    /** The sites with a published endpoint and no channel to this instance, sorted (their devices would get 503). */
    private Stream<String> sitesWithoutChannel() {
        return live.mappings().endpoints().stream()
                .map(PublishedEndpoint::site)
                .distinct()
                .sorted()
                .filter(site -> channels.openChannels(site) == 0);
    }

    /**
     * An endpoint's header policy: the standard headers plus those its role plugin declares, found
     * by the endpoint's role kind when the mapping snapshot is built (an endpoint of no role, or of
     * a role no plugin provides, gets the standard ones); drops are counted in {@link DroppedHeaders}.
     */
    private HeaderPolicy headerPolicy(PublishedEndpoint endpoint) {
        String kind = endpoint.roleKind();
        if (kind == null) {
            return HeaderPolicy.of(Set.of(), droppedHeaders);
        }
        var role = plugins.roles().stream()
                .filter(r -> r.kind().equalsIgnoreCase(kind))
                .findFirst();
        if (role.isEmpty()) {
            if (warnedRoleKinds.add(kind + " missing")) {
                LOG.warn(
                        "no role plugin of kind '{}' is loaded: its endpoints' sites see the standard request headers only",
                        kind);
            }
            return HeaderPolicy.of(Set.of(), droppedHeaders);
        }
        Set<String> declared;
        try {
            declared = role.get().requestHeaders();
        } catch (RuntimeException | LinkageError e) {
            LOG.warn(
                    "role plugin '{}' failed to declare its request headers; the standard ones only: {}",
                    kind,
                    e.toString());
            declared = Set.of();
        }
        var ignored = HeaderPolicy.undeclarable(declared);
        if (!ignored.isEmpty() && warnedRoleKinds.add(kind + " " + ignored)) {
            LOG.warn("role plugin '{}' declares request headers no role may declare; ignored: {}", kind, ignored);
        }
        return HeaderPolicy.of(declared, droppedHeaders);
    }

    /** The PostgreSQL driver (and anything else) logs through java.util.logging: into the gateway's logs. */
    static void bridgeJavaUtilLogging() {
        if (!SLF4JBridgeHandler.isInstalled()) {
            SLF4JBridgeHandler.removeHandlersForRootLogger();
            SLF4JBridgeHandler.install();
        }
    }

    /**
     * Watches a connector's certificate and key files; a renewed pair is put in service on the
     * connector, and what reads the certificate (expiry gauge, console, and for the client connector
     * the names it answers for and ServiceMetadata's thumbprint) follows it.
     */
    private void watchCertificate(String connector, GatewayConfig.Listener listener, KeyMaterial keys) {
        connectorCertificates.put(connector, keys.leaf());
        certificates.register(connector, listener.certificate(), listener.key(), keys, renewed -> {
            var names = ServerNames.of(renewed.leaf());
            server.reloadKeys(connector, renewed);
            connectorCertificates.put(connector, renewed.leaf());
            if (connector.equals(GatewayServer.CLIENT)) {
                serverNames = names;
                clientThumbprint = Thumbprints.sha256(renewed.leaf());
            }
        });
        meterCertificateExpiry(connector);
        certificateReloads(connector, CertificateReloader.RELOADED);
        CertificateReloader.REFUSALS.forEach(
                reason -> certificateReloads(connector, reason)); // every outcome from the start, at 0
    }

    /** {@code cmg_certificate_reloads_total{connector,outcome}}: reloaded, or the reason it was refused. */
    private Counter certificateReloads(String connector, String outcome) {
        return Counter.builder("cmg_certificate_reloads_total")
                .description(
                        "Renewed connector certificates put in service (outcome reloaded) or refused (outcome: the reason)")
                .tag("connector", connector)
                .tag("outcome", outcome)
                .register(meters);
    }

    /**
     * {@code cmg_certificate_expiry_seconds{connector}}: seconds until the notAfter of the certificate
     * in service (negative once past).
     */
    private void meterCertificateExpiry(String connector) {
        Gauge.builder(
                        "cmg_certificate_expiry_seconds",
                        certificates,
                        r -> Duration.between(
                                                clock.instant(),
                                                r.current(connector)
                                                        .getNotAfter()
                                                        .toInstant())
                                        .toMillis()
                                / 1000.0)
                .description("Seconds until the connector's certificate expires (notAfter), negative once it has")
                .tag("connector", connector)
                .strongReference(true)
                .register(meters);
    }

    /**
     * SIGHUP: reads every connector's certificate and key files again and puts in service those that
     * changed and pass the checks; one line per connector says what happened.
     */
    public List<String> reloadCertificates() {
        return certificates.reloadAll();
    }

    private void bindJvmMetrics() {
        new JvmMemoryMetrics().bindTo(meters);
        gcMetrics = new JvmGcMetrics();
        gcMetrics.bindTo(meters);
        new JvmThreadMetrics().bindTo(meters);
        new ProcessorMetrics().bindTo(meters);
        new UptimeMetrics().bindTo(meters);
    }

    /** Creates the first administrator; its password goes to a 0600 file, never to the log. */
    private void ensureAdminAccount(AdminUsers users, AuditTrail audit) throws IOException {
        if (!users.isEmpty()) {
            return;
        }
        Path file = config.adminAccount().initialPasswordFile();
        String password;
        if (Files.exists(file)) {
            password = Files.readString(file, StandardCharsets.UTF_8).strip();
        } else {
            password = randomPassword();
            PrivateFiles.create(file, password + "\n");
        }
        users.put(config.adminAccount().user(), PasswordHasher.hash(password.toCharArray()), clock.instant());
        audit.record("system", "admin.create", config.adminAccount().user(), "initial administrator");
        LOG.info(
                "created administrator '{}'; its initial password is in {}",
                config.adminAccount().user(),
                file);
    }

    private static String randomPassword() {
        var random = new SecureRandom();
        String alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        var sb = new StringBuilder();
        for (int i = 0; i < 24; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    /** {@code cmg_tls_session_tickets_total{outcome}}: the client connector's tickets (tls.provider netty). */
    private void ticketCounter(String outcome, ToLongFunction<NettyClientTls.TicketCounts> count) {
        FunctionCounter.builder("cmg_tls_session_tickets", server, s -> count.applyAsLong(s.ticketCounts()))
                .description("TLS session tickets of the client connector: issued; opened, so the session resumed "
                        + "(resumed: with the sealing key, renewed: with an earlier one); failed: not opened, a full "
                        + "handshake followed")
                .tag("outcome", outcome)
                .register(meters);
    }

    /**
     * The CA names the TLS certificate request lists: uploaded roots and intermediates, so that a
     * device holding several certificates picks one that chains to them.
     */
    private List<X509Certificate> acceptedClientIssuers() {
        var trust = live.clientTrust();
        var out = new ArrayList<X509Certificate>(trust.roots());
        out.addAll(trust.intermediates());
        return out;
    }

    /**
     * Where connection points dial this instance: as configured, else the address the channel connector
     * is bound to when it is one, else this host's name; with the channel port.
     */
    private String channelUrl() {
        String configured = config.membership().channelUrl();
        if (configured != null) {
            return configured;
        }
        return advertised(config.channel().host(), server.channelPort(), false);
    }

    /** https://HOST:PORT of a connector: its address, the host's name for a wildcard, localhost for loopback if asked. */
    private static String advertised(String bound, int port, boolean loopbackAsLocalhost) {
        boolean wildcard = bound.equals("0.0.0.0") || bound.equals("::") || bound.equals("[::]");
        boolean loopback = bound.equals("127.0.0.1") || bound.equals("::1") || bound.equals("localhost");
        String host = loopback && loopbackAsLocalhost
                ? "localhost"
                : wildcard
                        ? GatewayConfig.hostName()
                        : bound.contains(":") && !bound.startsWith("[") ? "[" + bound + "]" : bound;
        return "https://" + host + ":" + port;
    }

    /** Where this instance's admin API answers: configured, else its admin connector (loopback as localhost, its certificate's usual name). */
    private String adminUrl() {
        String configured = config.membership().adminUrl();
        if (configured != null) {
            return configured;
        }
        return advertised(config.admin().host(), server.adminPort(), true);
    }

    public Map<String, Object> status() {
        var m = new LinkedHashMap<String, Object>();
        m.put("instance", config.instance());
        m.put("started_at", startedAt.toString());
        m.put("client_port", server == null ? null : server.clientPort());
        m.put("channel_port", server == null ? null : server.channelPort());
        m.put("admin_port", server == null ? null : server.adminPort());
        m.put("tls_provider", server == null ? null : server.tlsProvider().toString());
        m.put("healthy", live.fresh(10_000));
        m.put(
                "auth_methods",
                plugins.authenticators().stream().map(a -> a.method()).toList());
        m.put("plugins", plugins.status());
        m.put("endpoints", live.mappings().endpoints().size());
        m.put("trusted_roots", live.clientTrust().roots().size());
        m.put("refusals", refusals.counts());
        m.put("tls_handshake_failures", handshakeFailures.counts());
        m.put("notification_channels", notifications.hub().held());
        m.put("dropped_request_headers", droppedHeaders.counts());
        var counters = new LinkedHashMap<String, Object>();
        for (var a : plugins.authenticators()) {
            try {
                var c = a.counters();
                if (!c.isEmpty()) {
                    counters.put(a.method(), c);
                }
            } catch (RuntimeException e) {
                // A plugin's counters are informational: never let them break the status answer.
            }
        }
        m.put("auth_counters", counters);
        m.put("channels", channels.snapshot());
        m.put(
                "instances",
                membership == null
                        ? List.of()
                        : membership.members().stream()
                                .map(i -> {
                                    var row = new LinkedHashMap<String, Object>();
                                    row.put("instance", i.instance());
                                    row.put("state", i.state().name().toLowerCase());
                                    row.put("channel_url", i.channelUrl());
                                    row.put("admin_url", i.adminUrl());
                                    row.put("version", i.version());
                                    row.put("started_at", i.startedAt().toString());
                                    row.put("heartbeat_at", i.heartbeatAt().toString());
                                    return row;
                                })
                                .toList());
        return m;
    }

    public int clientPort() {
        return server.clientPort();
    }

    /** True if the plugin of that id is loaded and started. */
    public boolean hasPlugin(String id) {
        return plugins.status().stream().anyMatch(p -> p.id().equals(id) && "STARTED".equals(p.state()));
    }

    public int channelPort() {
        return server.channelPort();
    }

    /** Writes the traffic counted so far to the store (it also happens every 10 s and at stop). */
    public void flushTraffic() {
        traffic.flush();
    }

    public int adminPort() {
        return server.adminPort();
    }

    public Refusals refusals() {
        return refusals;
    }

    public PluginHost plugins() {
        return plugins;
    }

    public LiveState live() {
        return live;
    }

    /**
     * A stopping instance's drain, before {@link #close}: /health/ready answers 503 at once and every
     * answer closes its connection; after {@code shutdown.grace} the connectors stop accepting; the
     * device requests in flight finish (up to {@code shutdown.timeout}); then a GOAWAY on every
     * channel lets its streams finish while the connection points redial another instance. Each
     * step is logged with the time since the stop signal.
     */
    public void drain() {
        if (server == null || draining) {
            return;
        }
        long t0 = System.nanoTime();
        draining = true;
        server.beginDrain();
        if (membership != null) {
            membership.leave(); // the other instances stop telling connection points to dial this one
        }
        var grace = config.shutdown().grace();
        LOG.info("draining: /health/ready answers 503; the connectors stop accepting in {} ms", grace.toMillis());
        try {
            Thread.sleep(grace.toMillis());
            server.stopAccepting();
            long t1 = System.nanoTime();
            LOG.info(
                    "connectors closed {} ms after the stop signal; {} device requests in flight on {} connections",
                    ms(t1 - t0),
                    server.clientRequestsInFlight(),
                    server.clientConnections());
            long deadline = t1 + config.shutdown().timeout().toNanos();
            if (server.awaitClientsGone(deadline)) {
                LOG.info("device connections drained {} ms after the stop signal", ms(System.nanoTime() - t0));
            } else {
                LOG.warn(
                        "shutdown.timeout ({} s) over: {} device requests in flight on {} connections are cut",
                        config.shutdown().timeout().toSeconds(),
                        server.clientRequestsInFlight(),
                        server.clientConnections());
            }
            int n = channels.drain(Duration.ofNanos(
                    Math.max(deadline - System.nanoTime(), Duration.ofSeconds(1).toNanos())));
            LOG.info("{} channels ended by GOAWAY {} ms after the stop signal", n, ms(System.nanoTime() - t0));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    @Override
    public void close() {
        if (certificates != null) {
            certificates.close();
        }
        if (channels != null) {
            channels.endNotifications(); // held streams would keep the connectors' graceful stop waiting
        }
        try {
            if (server != null) {
                server.close();
            }
        } catch (Exception e) {
            LOG.warn("stopping connectors: {}", e.toString());
        }
        if (membership != null) {
            membership.close();
        }
        if (channels != null) {
            channels.close();
        }
        if (traffic != null) {
            traffic.close();
        }
        if (quotaSharing != null) {
            quotaSharing.shutdownNow();
            shareQuotaUse.run(); // a restart goes on from these counts
        }
        if (plugins != null) {
            plugins.close();
        }
        if (live != null) {
            live.close();
        }
        if (gcMetrics != null) {
            gcMetrics.close();
        }
        meters.close();
        if (database != null) {
            database.close();
        }
    }
}
