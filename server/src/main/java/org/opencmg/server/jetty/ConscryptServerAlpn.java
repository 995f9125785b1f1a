package org.opencmg.server.jetty;

import javax.net.ssl.SSLEngine;
import org.eclipse.jetty.alpn.java.server.JDK9ServerALPNProcessor;
import org.opencmg.pki.TlsProvider;

/**
 * ALPN on the server side for Conscrypt's engines (tls.provider conscrypt). Jetty's processor for the
 * JDK's standard ALPN API only takes the JDK's own engines, and Jetty's Conscrypt module is not
 * served at our Jetty version; Conscrypt's engines implement that same standard API
 * ({@code setHandshakeApplicationProtocolSelector}), so the JDK processor's work applies to them
 * as it is. Found by Jetty through META-INF/services.
 */
public final class ConscryptServerAlpn extends JDK9ServerALPNProcessor {

    @Override
    public boolean appliesTo(SSLEngine engine) {
        return TlsProvider.isConscrypt(engine);
    }
}
