package org.opencmg.pki;

import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/** Where CRLs come from besides the ones the administrator uploaded. */
@FunctionalInterface
public interface CrlSource {

    /**
     * CRLs that may cover {@code cert}: uploaded ones are passed in {@link TrustMaterial}; this returns
     * fetched ones for the certificate's CRL distribution points. Never throws; returns an empty list when
     * nothing could be obtained.
     */
    List<X509CRL> crlsFor(X509Certificate cert, Instant at);

    /** No fetching: only uploaded CRLs count. */
    CrlSource NONE = (c, at) -> List.of();
}
