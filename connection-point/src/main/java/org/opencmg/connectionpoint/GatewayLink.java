package org.opencmg.connectionpoint;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import org.eclipse.jetty.alpn.client.ALPNClientConnectionFactory;
import org.eclipse.jetty.http2.api.Session;
import org.eclipse.jetty.http2.frames.PingFrame;
import org.eclipse.jetty.io.ClientConnectionFactory;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.io.ssl.SslClientConnectionFactory;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.opencmg.channel.ChannelProtocol;
import org.opencmg.channel.Hello;
import org.opencmg.channel.MappingTable;
import org.opencmg.channel.Welcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection point's channel to one gateway instance. Dials out over mutual TLS offering the
 * channel protocol by ALPN, then serves as the HTTP/2 server of that connection: the gateway says
 * hello, pushes the site's mappings and opens a stream for every device request. Any failure ends
 * the connection; it is dialled again with capped exponential backoff and jitter, forever.
 */
final class GatewayLink implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayLink.class);

    private final URI gateway;
    private final ConnectionPointConfig config;
    private final ClientConnector dialler;
    private final SslContextFactory.Client tls;
    private volatile DialledConnector connector;
    private volatile boolean running = true;
    private volatile CompletableFuture<Throwable> failure = new CompletableFuture<>();
    private volatile EndPoint endPoint;
    private volatile MappingTable mappings = new MappingTable("", -1, List.of());
    private volatile String state = "connecting";
    private volatile Instant since = Instant.now();
    private volatile Instant lastPing;
    private volatile long rttMicros = -1;
    private volatile String instance = "";
    /** The instance whose hello this link answered with its welcome, while that connection lasts. */
    private volatile String welcomedInstance;

    private final Discovery discovery;
    /** The instance name a gateway listed this link's URL under; null: the configuration names the URL. */
    private final String listedAs;

    private volatile String lastError = "";
    private volatile String goAwayReason;
    /** The gateway said GOAWAY without an error: it is stopping (a drain), not refusing this point. */
    private volatile boolean gatewayDraining;

    private volatile Session session;
    /** The first attempt is over: this link was welcomed, or failed, at least once. */
    private volatile boolean settled;

    private Thread loop;

    GatewayLink(
            URI gateway,
            ConnectionPointConfig config,
            ClientConnector dialler,
            SslContextFactory.Client tls,
            Discovery discovery,
            String listedAs) {
        this.gateway = gateway;
        this.discovery = discovery;
        this.listedAs = listedAs;
        this.config = config;
        this.dialler = dialler;
        this.tls = tls;
    }

    URI gateway() {
        return gateway;
    }

    /** Dialled because a gateway listed it, not because the configuration names it. */
    boolean discovered() {
        return listedAs != null;
    }

    String listedAs() {
        return listedAs;
    }

    boolean settled() {
        return settled;
    }

    String welcomedInstance() {
        return welcomedInstance;
    }

    DialledConnector connector() {
        return connector;
    }

    /** How long the channel may be silent: three heartbeats (the gateway PINGs at least once per heartbeat). */
    Duration idleTimeout() {
        return config.heartbeatInterval().multipliedBy(3);
    }

    /** Starts dialling, serving the channel's streams on {@code connector}. */
    void start(DialledConnector connector) {
        this.connector = connector;
        this.loop = Thread.ofVirtual().name("link-" + gateway.getAuthority()).start(this::run);
    }

    private void run() {
        int attempt = 0;
        while (running) {
            try {
                connect();
                Throwable why = failure.get();
                if (running && gatewayDraining) {
                    lastError = "the gateway instance drained the channel (it is stopping)";
                    LOG.info("channel to {} drained by the gateway instance (it is stopping); redialling", gateway);
                } else if (running) {
                    lastError = describe(why);
                    LOG.warn("channel to {} lost: {}", gateway, lastError);
                }
                if ("up".equals(state)) {
                    attempt = 0;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                lastError = describe(e);
                LOG.warn("cannot open channel to {}: {}", gateway, lastError);
            } finally {
                teardown();
            }
            if (!running) {
                return;
            }
            try {
                Thread.sleep(backoff(attempt++));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * Exponential backoff with ±25% jitter, so many connection points do not redial in step, capped
     * after the jitter: no wait is ever longer than the configured maximum.
     */
    long backoff(int attempt) {
        long max = config.backoffMax().toMillis();
        long base = Math.min(max, config.backoffInitial().toMillis() << Math.min(attempt, 20));
        return Math.min(max, (long) (base * (0.75 + ThreadLocalRandom.current().nextDouble() * 0.5)));
    }

    private void connect() {
        CompletableFuture<Throwable> generation = new CompletableFuture<>();
        failure = generation;
        goAwayReason = null;
        gatewayDraining = false;
        state = "connecting";
        var context = new HashMap<String, Object>();
        ClientConnectionFactory channel = (endPoint, ctx) -> {
            String chosen = negotiated(endPoint);
            if (!ChannelProtocol.ALPN.equals(chosen)) {
                throw new IOException("the gateway chose protocol " + chosen + ", not " + ChannelProtocol.ALPN);
            }
            this.endPoint = endPoint;
            Connection connection = connector.serve(endPoint);
            connection.addEventListener(new Connection.Listener() {
                @Override
                public void onClosed(Connection c) {
                    generation.complete(new IOException(
                            goAwayReason != null
                                    ? "the gateway closed the channel: " + goAwayReason
                                    : "connection closed"));
                }
            });
            return connection;
        };
        var alpn = new ALPNClientConnectionFactory(dialler.getExecutor(), channel, List.of(ChannelProtocol.ALPN));
        context.put(Transport.CONTEXT_KEY, Transport.TCP_IP);
        context.put(
                ClientConnectionFactory.CONTEXT_KEY,
                new SslClientConnectionFactory(tls, dialler.getByteBufferPool(), dialler.getExecutor(), alpn));
        context.put(ClientConnector.CONNECTION_PROMISE_CONTEXT_KEY, Promise.from(c -> {}, generation::complete));
        int port = gateway.getPort() > 0 ? gateway.getPort() : 443;
        dialler.connect(new InetSocketAddress(gateway.getHost(), port), context);
        // Up is when the hello and the first mappings arrived; a channel that never gets there is cut.
        dialler.getScheduler()
                .schedule(
                        () -> {
                            if (failure == generation && !"up".equals(state)) {
                                generation.complete(new IOException("no hello from the gateway within 15 s"));
                            }
                        },
                        15,
                        TimeUnit.SECONDS);
    }

    private static String negotiated(EndPoint endPoint) {
        return endPoint instanceof SslConnection.SslEndPoint ssl
                ? ssl.getSslConnection().getSSLEngine().getApplicationProtocol()
                : null;
    }

    /**
     * The gateway's hello: it speaks protocol 2 (the request reached us over that ALPN) and tells who it
     * is. Empty when another link serves that instance already (this one steps aside).
     */
    Optional<Welcome> hello(Hello hello) {
        instance = hello.instance() == null ? "" : hello.instance();
        if (!discovery.admit(this, instance)) {
            return Optional.empty();
        }
        welcomedInstance = instance;
        settled = true;
        return Optional.of(new Welcome(ChannelProtocol.VERSION, config.connectionId(), config.name()));
    }

    /** A mapping table pushed by the gateway; an older revision than the one held is ignored. */
    void mappings(MappingTable table) {
        if (table.revision() < mappings.revision() && table.site().equals(mappings.site())) {
            return;
        }
        mappings = table;
        if (!"up".equals(state)) {
            state = "up";
            since = Instant.now();
            lastError = "";
            LOG.info(
                    "channel to {} up (instance {}, site {}, {} mappings)",
                    gateway,
                    instance,
                    table.site(),
                    table.endpoints().size());
        } else {
            LOG.debug(
                    "mappings from {}: revision {}, {} endpoints",
                    gateway,
                    table.revision(),
                    table.endpoints().size());
        }
    }

    /** The gateway said why it refuses this connection point; the GOAWAY that follows ends the channel. */
    void refused(String reason) {
        goAwayReason = reason;
    }

    MappingTable mappings() {
        return mappings;
    }

    /** The hello and the first mappings arrived: the gateway may open its notification stream. */
    boolean up() {
        return "up".equals(state);
    }

    void sessionOpened(Session session) {
        this.session = session;
        lastPing = Instant.now();
    }

    /**
     * Drains the channel: a GOAWAY tells the gateway to send no new exchange here (they go to the
     * site's other connection points) while those in flight finish, for at most {@code within}.
     */
    void drain(Duration within) {
        Session s = session;
        if (s == null || s.isClosed() || !"up".equals(state)) {
            return;
        }
        state = "draining";
        try {
            s.shutdown().get(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.info("channel to {} not drained within {} s: {}", gateway, within.toSeconds(), e.toString());
        }
    }

    void pinged(PingFrame frame) {
        lastPing = Instant.now();
        if (!frame.isReply()) {
            // The gateway's PINGs carry the round-trip time it measured last, in microseconds.
            long rtt = frame.getPayloadAsLong();
            rttMicros = rtt > 0 && rtt < 60_000_000L ? rtt : rttMicros;
        }
    }

    void gatewayDraining() {
        gatewayDraining = true;
    }

    void goingAway(String reason) {
        if (reason != null && !reason.isBlank() && goAwayReason == null) {
            goAwayReason = reason;
        }
    }

    private String describe(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            if (root instanceof SSLHandshakeException) {
                break;
            }
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.toString() : root.getMessage();
        if (message.contains("no_application_protocol") || message.contains("No application protocol")) {
            return "the gateway does not offer channel protocol " + ChannelProtocol.VERSION + " (ALPN "
                    + ChannelProtocol.ALPN + "): it runs an older OpenCMG; upgrade the gateway";
        }
        return message;
    }

    private void teardown() {
        settled = true;
        welcomedInstance = null;
        state = running ? "down" : "stopped";
        since = Instant.now();
        EndPoint ep = endPoint;
        endPoint = null;
        if (ep != null) {
            ep.close();
        }
    }

    /** Cuts the channel at once, as a network failure would (tests and operators use it). */
    void abort() {
        failure.complete(new IOException("channel aborted"));
    }

    LinkStatus status() {
        MappingTable m = mappings;
        return new LinkStatus(
                gateway,
                state,
                since,
                lastPing,
                rttMicros,
                instance,
                m.revision(),
                m.endpoints().size(),
                lastError,
                discovered());
    }

    @Override
    public void close() {
        running = false;
        failure.complete(new IOException("stopping"));
        if (loop != null) {
            loop.interrupt();
            try {
                loop.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        teardown();
    }
}
