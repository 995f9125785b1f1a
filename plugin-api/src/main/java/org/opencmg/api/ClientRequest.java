package org.opencmg.api;

import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

/** The parts of a device's request an {@link Authenticator} may look at. No body: it is streamed on. */
public interface ClientRequest {

    String method();

    /** The request path as the device sent it (still percent-encoded, not yet normalised). */
    String rawPath();

    /** The raw query string, or empty. */
    String rawQuery();

    /** First value of a header (case-insensitive name). */
    Optional<String> header(String name);

    /** The certificate chain the device presented in the TLS handshake, leaf first; empty if none. */
    List<X509Certificate> peerCertificates();

    InetSocketAddress remoteAddress();

    /** "TLSv1.3", "TLSv1.2", ... */
    String tlsProtocol();
}
