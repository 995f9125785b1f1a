package org.opencmg.pki;

import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.util.Locale;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import org.conscrypt.Conscrypt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which implementation of TLS the connectors and the connection point's outbound connections use
 * (the {@code tls.provider} setting of gateway.yaml and connection-point.yaml), chosen by
 * measurement (bench/tls-provider.sh, bench/RESULTS.md). {@link #NETTY}, the gateway's default, is
 * BoringSSL through Netty's engine on the gateway's client connector, where handshake storms and
 * resumption matter: the fastest of the three there, and the one that takes session ticket keys from
 * us, so every instance resumes the sessions of the others; the gateway's channel and admin
 * connectors (a few long-lived connections) run the JDK's provider with it. {@link #CONSCRYPT}
 * (BoringSSL through JNI, as a JCA provider) runs every connector, or the connection point's
 * connections; with it on both ends ChannelScaleTest's 10,000 long polls did not all open within a
 * minute (twice), so the connection point keeps {@link #JDK} by default. Where a native library
 * cannot load (another architecture, a {@code noexec} temp folder) the JDK's provider serves
 * instead; that is logged once per process. Certificates are judged by the trust managers passed in,
 * whichever provider runs the protocol.
 */
public enum TlsProvider {
    JDK,
    CONSCRYPT,
    NETTY;

    private static final Logger LOG = LoggerFactory.getLogger(TlsProvider.class);

    /** {@code jdk}, {@code conscrypt} or {@code netty} (any case); null or blank: {@code absent}. */
    public static TlsProvider parse(String value, TlsProvider absent) {
        if (value == null || value.isBlank()) {
            return absent;
        }
        try {
            return valueOf(value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tls.provider must be jdk, conscrypt or netty, not " + value);
        }
    }

    /**
     * The JCA provider to ask for TLS, or null for the JDK's default (also for {@link #NETTY}, which
     * is no JCA provider: it makes the client connector's engines itself). Conscrypt is registered once,
     * last in the JVM's list, so nothing that asks for a default (JWKS, CRL, the Azure SDK) changes.
     */
    public Provider jca() {
        return this == CONSCRYPT ? Native.PROVIDER : null;
    }

    /** The provider that actually runs: {@link #JDK} where Conscrypt was asked for but cannot load. */
    public TlsProvider effective() {
        return this == CONSCRYPT && jca() == null ? JDK : this;
    }

    /** The registered name of {@link #jca()} (Jetty's {@code SslContextFactory.setProvider}), or null. */
    public String jcaName() {
        Provider p = jca();
        return p == null ? null : p.getName();
    }

    /** A TLS context of this provider with these keys and this trust (null: the JDK's defaults). */
    public SSLContext context(KeyManager[] keys, TrustManager[] trust) throws GeneralSecurityException {
        Provider p = jca();
        SSLContext ctx = p == null ? SSLContext.getInstance("TLS") : SSLContext.getInstance("TLS", p);
        ctx.init(keys, trust, new SecureRandom());
        return ctx;
    }

    /**
     * Whether Conscrypt runs this engine (Jetty then needs our ALPN processors). By class name:
     * asking must not load Conscrypt, nor its native library, where it is not in use.
     */
    public static boolean isConscrypt(SSLEngine engine) {
        return engine.getClass().getName().startsWith("org.conscrypt.");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Loads Conscrypt's native library on first use; null, logged once, where it cannot. */
    private static final class Native {
        static final Provider PROVIDER = load();

        private static Provider load() {
            try {
                Provider p = Conscrypt.newProvider();
                Provider registered = Security.getProvider(p.getName());
                if (registered != null) {
                    return registered;
                }
                Security.addProvider(p);
                LOG.info("TLS provider: Conscrypt (BoringSSL)");
                return p;
            } catch (Throwable e) { // UnsatisfiedLinkError, NoClassDefFoundError, ExceptionInInitializerError
                LOG.warn(
                        "TLS provider: Conscrypt's native library cannot load here ({}); using the JDK's TLS "
                                + "provider instead",
                        e.toString());
                return null;
            }
        }
    }
}
