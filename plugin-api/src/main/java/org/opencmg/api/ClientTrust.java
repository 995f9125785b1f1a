package org.opencmg.api;

import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;

/**
 * The client-certificate trust the administrator configured: an immutable snapshot.
 *
 * @param roots           uploaded trusted root certificates
 * @param intermediates   uploaded intermediate CA certificates
 * @param ctlThumbprints  SHA-256 thumbprints (upper-case hex) of the roots in the certificate trust
 *                        list; empty means "every uploaded root"
 * @param crls            CRLs the administrator uploaded
 * @param revision        changes whenever any of the above changes (for caches)
 */
public record ClientTrust(
        List<X509Certificate> roots,
        List<X509Certificate> intermediates,
        Set<String> ctlThumbprints,
        List<X509CRL> crls,
        long revision) {
    public ClientTrust {
        roots = List.copyOf(roots);
        intermediates = List.copyOf(intermediates);
        ctlThumbprints = Set.copyOf(ctlThumbprints);
        crls = List.copyOf(crls);
    }
}
