package org.opencmg.distribution;

import org.junit.jupiter.api.extension.Extension;
import org.opencmg.server.jetty.TlsPolicy;

/**
 * Registered for every test (META-INF/services, autodetection on in junit-platform.properties).
 * The gateway lifts the JDK's own ban on TLS 1.0/1.1 when its class loads, so that its
 * enforce-tls12 setting decides; the JDK reads that ban once, at the first TLS use in the JVM.
 * Lifting it before any test runs makes the outcome independent of the order of test classes
 * (an internal server, a device or an admin client may use TLS before any gateway starts).
 */
public final class LegacyTlsDecidedBySetting implements Extension {

    static {
        TlsPolicy.letSettingDecideLegacyProtocols();
    }
}
