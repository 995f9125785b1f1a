package org.opencmg.pki;

import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/** Where CRLs come from besides the ones the administrator uploaded. */
@FunctionalInterface
public interface CrlSource {

    /** A fetched CRL and where it came from. */
    record Fetched(X509CRL crl, String url) {}

    /**
     * CRLs that may cover {@code cert}, issued by {@code issuer} (the next certificate of the validated path):
     * uploaded ones are passed in {@link TrustMaterial}; this returns fetched ones for the certificate's CRL
     * distribution points, each signed by {@code issuer}. Never throws; returns an empty list when nothing
     * could be obtained.
     */
    List<X509CRL> crlsFor(X509Certificate cert, X509Certificate issuer, Instant at);

    /**
     * CRLs for {@code cert} from its CRL distribution points and freshest-CRL (delta) points, each signed by one of
     * {@code signers} whose name is the CRL's issuer: the certificate's issuer first, then other CA certificates
     * that already validated or were uploaded (the issuer's renewed key, a CRL-signing certificate, the issuer of
     * an indirect CRL). Validation then checks the CRL signer's own path. Never throws.
     */
    default List<Fetched> fetch(X509Certificate cert, List<X509Certificate> signers, Instant at) {
        return crlsFor(cert, signers.getFirst(), at).stream()
                .map(crl -> new Fetched(crl, "fetched"))
                .toList();
    }

    /** No fetching: only uploaded CRLs count. */
    CrlSource NONE = (c, issuer, at) -> List.of();
}
