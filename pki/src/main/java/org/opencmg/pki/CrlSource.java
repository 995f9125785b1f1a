package org.opencmg.pki;

import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/** Where CRLs come from besides the ones the administrator uploaded. */
@FunctionalInterface
public interface CrlSource {

    /**
     * CRLs that may cover {@code cert}, issued by {@code issuer} (the next certificate of the validated path):
     * uploaded ones are passed in {@link TrustMaterial}; this returns fetched ones for the certificate's CRL
     * distribution points, each signed by {@code issuer}. Never throws; returns an empty list when nothing
     * could be obtained.
     */
    List<X509CRL> crlsFor(X509Certificate cert, X509Certificate issuer, Instant at);

    /** No fetching: only uploaded CRLs count. */
    CrlSource NONE = (c, issuer, at) -> List.of();
}
