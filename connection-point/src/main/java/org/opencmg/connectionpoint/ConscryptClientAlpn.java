package org.opencmg.connectionpoint;

import javax.net.ssl.SSLEngine;
import org.eclipse.jetty.alpn.java.client.JDK9ClientALPNProcessor;
import org.opencmg.pki.TlsProvider;

/**
 * ALPN on the client side (the channel's {@code cmg-channel/2}) for Conscrypt's engines: Jetty's
 * processor for the standard ALPN API only takes the JDK's own engines; Conscrypt's implement the
 * same API ({@code SSLParameters.setApplicationProtocols}, {@code getApplicationProtocol}). Found by
 * Jetty through META-INF/services.
 */
public final class ConscryptClientAlpn extends JDK9ClientALPNProcessor {

    @Override
    public boolean appliesTo(SSLEngine engine) {
        return TlsProvider.isConscrypt(engine);
    }
}
