package org.opencmg.server.jetty;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionStats;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import org.opencmg.pki.KeyMaterial;
import org.opencmg.pki.TlsProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client connector's TLS engines on BoringSSL through Netty ({@code tls.provider: netty}).
 * Chosen for what neither the JDK's provider nor Conscrypt allows: we set the session ticket keys,
 * so a device's TLS 1.3 or 1.2 session resumes on whichever instance it reaches
 * ({@link #useTicketKeys}). Jetty runs the engines as it runs the JDK's ({@code SslConnection}); the
 * protocols and suites come from the connector's factory ({@link TlsPolicy}) as for the others.
 *
 * <p>BoringSSL takes the CA names of its certificate request when the context is built, where the
 * JDK asks the trust manager at each handshake: the context is rebuilt when the uploaded roots
 * change, and keeps the ticket keys.
 */
public final class NettyClientTls {

    private static final Logger LOG = LoggerFactory.getLogger(NettyClientTls.class);

    /** Sessions (and tickets) live as long as a ticket key stays valid after its rotation. */
    static final long SESSION_SECONDS = 12 * 3600;

    private final KeyMaterial keys;
    private final Supplier<List<X509Certificate>> acceptedIssuers;
    private volatile Built built;
    private volatile List<byte[]> ticketKeys = List.of();
    /** The counts of the contexts this one replaced (each context counts its own). */
    private TicketCounts retired = new TicketCounts(0, 0, 0, 0);

    /**
     * Session tickets since start: sealed and sent; opened with the sealing key (the session
     * resumed); opened with an earlier key (resumed, and a new ticket sent); not opened (a full
     * handshake followed: a key past its overlap, or another store's).
     */
    public record TicketCounts(long issued, long resumed, long renewed, long failed) {
        TicketCounts plus(OpenSslSessionStats s) {
            return new TicketCounts(
                    issued + s.ticketKeyNew(),
                    resumed + s.ticketKeyResume(),
                    renewed + s.ticketKeyRenew(),
                    failed + s.ticketKeyFail());
        }
    }

    private record Built(SslContext context, List<X509Certificate> issuers) {}

    /** {@code acceptedIssuers}: the CA names of the certificate request (see {@link DeferredClientTrustManager}). */
    NettyClientTls(KeyMaterial keys, Supplier<List<X509Certificate>> acceptedIssuers) throws GeneralSecurityException {
        this.keys = keys;
        this.acceptedIssuers = acceptedIssuers;
        this.built = build(acceptedIssuers.get());
    }

    /**
     * Whether the client connector runs on Netty's engines with {@code configured}: netty asked for
     * and its BoringSSL loads on this machine (the first call logs the answer, once).
     */
    public static boolean runs(TlsProvider configured) {
        return configured == TlsProvider.NETTY && Availability.AVAILABLE;
    }

    /** The same trust, ticket keys and counts with another certificate and key (a renewed certificate). */
    synchronized NettyClientTls withKeys(KeyMaterial renewed) throws GeneralSecurityException {
        var next = new NettyClientTls(renewed, acceptedIssuers);
        next.useTicketKeys(ticketKeys);
        next.retired = ticketCounts();
        return next;
    }

    synchronized TicketCounts ticketCounts() {
        return retired.plus(stats(built));
    }

    private static OpenSslSessionStats stats(Built b) {
        return ((OpenSslSessionContext) b.context().sessionContext()).stats();
    }

    /**
     * An engine with {@code policy}'s parameters (Jetty's factory: protocols, suites, client auth),
     * less the suites BoringSSL lacks (the CBC-SHA256/384 ones): Netty refuses a suite it does not know.
     */
    SSLEngine newEngine(String host, int port, UnaryOperator<SSLParameters> policy) {
        SSLEngine engine = current().context().newEngine(PooledByteBufAllocator.DEFAULT, host, port);
        SSLParameters params = policy.apply(engine.getSSLParameters());
        Set<String> known = OpenSsl.availableJavaCipherSuites();
        params.setCipherSuites(
                Arrays.stream(params.getCipherSuites()).filter(known::contains).toArray(String[]::new));
        engine.setSSLParameters(params);
        return engine;
    }

    /**
     * The keys that seal and open session tickets, 48 bytes each (name, HMAC key, AES key): the
     * first seals new tickets, every one opens them. All instances on one store use the same.
     */
    synchronized void useTicketKeys(List<byte[]> keys) {
        ticketKeys = List.copyOf(keys);
        install(built.context(), ticketKeys);
    }

    private Built current() {
        Built b = built;
        List<X509Certificate> issuers = acceptedIssuers.get();
        if (b.issuers().equals(issuers)) {
            return b;
        }
        synchronized (this) {
            if (!built.issuers().equals(issuers)) {
                try {
                    Built old = built;
                    built = build(issuers);
                    retired = retired.plus(stats(old));
                } catch (GeneralSecurityException e) {
                    LOG.error("could not rebuild the client connector's TLS context for new roots: {}", e.toString());
                    built = new Built(built.context(), issuers); // keep serving with the names it had
                }
            }
            return built;
        }
    }

    private Built build(List<X509Certificate> issuers) throws GeneralSecurityException {
        // Every chain passes the handshake (the pipeline judges it); the issuers named are the
        // request's CA list, read by Netty now.
        SslContext context;
        try {
            context = SslContextBuilder.forServer(keys.key(), keys.chain().toArray(X509Certificate[]::new))
                    .sslProvider(SslProvider.OPENSSL)
                    .trustManager(new DeferredClientTrustManager(() -> issuers))
                    .clientAuth(ClientAuth.OPTIONAL)
                    .protocols(TlsPolicy.LEGACY_PROTOCOLS)
                    .sessionTimeout(SESSION_SECONDS)
                    .build();
        } catch (SSLException e) {
            throw new GeneralSecurityException("Netty's TLS context: " + e.getMessage(), e);
        }
        install(context, ticketKeys);
        return new Built(context, List.copyOf(issuers));
    }

    private static void install(SslContext context, List<byte[]> keys) {
        if (keys.isEmpty()) {
            return; // BoringSSL's own random key until the store's arrive
        }
        var ticketKeys = keys.stream()
                .map(k -> new OpenSslSessionTicketKey(
                        Arrays.copyOfRange(k, 0, 16), Arrays.copyOfRange(k, 16, 32), Arrays.copyOfRange(k, 32, 48)))
                .toArray(OpenSslSessionTicketKey[]::new);
        ((OpenSslSessionContext) context.sessionContext()).setTicketKeys(ticketKeys);
    }

    private static final class Availability {
        static final boolean AVAILABLE = check();

        private static boolean check() {
            String cause;
            try {
                if (OpenSsl.isAvailable()) {
                    LOG.info("TLS provider of the client connector: Netty, {}", OpenSsl.versionString());
                    return true;
                }
                cause = String.valueOf(OpenSsl.unavailabilityCause());
            } catch (Throwable e) { // NoClassDefFoundError, UnsatisfiedLinkError
                cause = e.toString();
            }
            LOG.warn(
                    "TLS provider: Netty's BoringSSL cannot load here ({}); the client connector uses the JDK's TLS "
                            + "provider instead",
                    cause);
            return false;
        }
    }
}
