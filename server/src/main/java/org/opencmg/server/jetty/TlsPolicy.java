package org.opencmg.server.jetty;

import java.security.Security;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * The protocols and cipher suites of the internet-facing connectors, driven by the
 * {@code enforce-tls12} setting. On: TLS 1.2 and 1.3 with AEAD, forward-secret suites only.
 * Off: TLS 1.0 and 1.1 are also accepted, with ECDHE CBC suites, for old clients; nothing
 * weaker (no RC4, 3DES, NULL, anonymous, export or static-RSA suites) is ever offered.
 */
public final class TlsPolicy {

    static final String CLIENT_PROTOCOLS = "jdk.tls.client.protocols";
    static final String[] MODERN_PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    static final String[] LEGACY_PROTOCOLS = {"TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1"};

    static final String[] STRONG_SUITES = {
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_256_GCM_SHA384",
        "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    };

    static final String[] LEGACY_EXTRA_SUITES = {
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    };

    private TlsPolicy() {}

    /**
     * Recent JDKs disable TLS 1.0/1.1 JVM-wide; the setting must decide instead, so remove only
     * those two entries from {@code jdk.tls.disabledAlgorithms}. That lift is for the connectors
     * alone, which name their protocols ({@link #apply}): every outbound client of the JVM (JWKS,
     * CRL over https, the Azure SDK) keeps TLS 1.2+ through {@code jdk.tls.client.protocols}.
     * Must run before any TLS use: the JDK reads both once. The JDK has no per-context way to lift
     * its ban, so this is the process's to decide: the commands that run a gateway ({@code cmg
     * gateway}, {@code cmg demo}) call it first; a {@link org.opencmg.server.boot.Gateway} started
     * in a JVM that did not keeps the JDK's ban (enforce-tls12 off then still refuses TLS 1.0/1.1).
     */
    public static synchronized void letSettingDecideLegacyProtocols() {
        keepClientsOnModernProtocols();
        String disabled = Security.getProperty("jdk.tls.disabledAlgorithms");
        if (disabled == null) {
            return;
        }
        String kept = Arrays.stream(disabled.split(","))
                .map(String::strip)
                .filter(s -> !isLegacy(s))
                .collect(Collectors.joining(", "));
        Security.setProperty("jdk.tls.disabledAlgorithms", kept);
    }

    /** The client side's default protocols without TLS 1.0/1.1 (an operator's own list is kept, minus those two). */
    private static void keepClientsOnModernProtocols() {
        String configured = System.getProperty(CLIENT_PROTOCOLS, "");
        String modern = Arrays.stream(configured.split(","))
                .map(String::strip)
                .filter(s -> !s.isEmpty() && !isLegacy(s))
                .collect(Collectors.joining(","));
        System.setProperty(CLIENT_PROTOCOLS, modern.isEmpty() ? String.join(",", MODERN_PROTOCOLS) : modern);
    }

    private static boolean isLegacy(String protocol) {
        return protocol.equals("TLSv1") || protocol.equals("TLSv1.1");
    }

    public static void apply(SslContextFactory f, boolean enforceTls12) {
        f.setExcludeProtocols("SSL", "SSLv2", "SSLv2Hello", "SSLv3");
        f.setExcludeCipherSuites(
                "^.*_NULL_.*$",
                "^.*_anon_.*$",
                "^.*_RC4_.*$",
                "^.*_3DES_.*$",
                "^.*_EXPORT_.*$",
                "^.*_MD5$",
                "^TLS_RSA_.*$",
                "^SSL_.*$",
                "^.*_DES_.*$");
        if (enforceTls12) {
            f.setIncludeProtocols(MODERN_PROTOCOLS);
            f.setIncludeCipherSuites(STRONG_SUITES);
        } else {
            f.setIncludeProtocols(LEGACY_PROTOCOLS);
            String[] all = Arrays.copyOf(STRONG_SUITES, STRONG_SUITES.length + LEGACY_EXTRA_SUITES.length);
            System.arraycopy(LEGACY_EXTRA_SUITES, 0, all, STRONG_SUITES.length, LEGACY_EXTRA_SUITES.length);
            f.setIncludeCipherSuites(all);
        }
        f.setRenegotiationAllowed(false);
    }
}
