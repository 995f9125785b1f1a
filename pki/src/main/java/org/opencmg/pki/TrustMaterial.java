package org.opencmg.pki;

import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What the administrator uploaded: trusted roots, intermediates, the certificate trust list and CRLs.
 *
 * @param roots          trust anchors
 * @param intermediates  CA certificates used to complete chains that clients send incomplete
 * @param ctlThumbprints SHA-256 thumbprints (upper-case hex) of the roots allowed to issue client certificates;
 *                       empty = every uploaded root is allowed
 * @param crls           CRLs uploaded by the administrator
 */
public record TrustMaterial(
        List<X509Certificate> roots,
        List<X509Certificate> intermediates,
        Set<String> ctlThumbprints,
        List<X509CRL> crls) {

    public TrustMaterial {
        roots = roots == null ? List.of() : List.copyOf(roots);
        intermediates = intermediates == null ? List.of() : List.copyOf(intermediates);
        // Admins paste thumbprints in all shapes ("ab:cd ..."); compare in one canonical form.
        ctlThumbprints = ctlThumbprints == null
                ? Set.of()
                : ctlThumbprints.stream().map(TrustMaterial::normalize).collect(Collectors.toUnmodifiableSet());
        crls = crls == null ? List.of() : List.copyOf(crls);
    }

    /** Roots only: no intermediates, no CTL, no CRLs. */
    public static TrustMaterial of(X509Certificate... roots) {
        return new TrustMaterial(List.of(roots), List.of(), Set.of(), List.of());
    }

    public TrustMaterial withIntermediates(List<X509Certificate> more) {
        return new TrustMaterial(roots, more, ctlThumbprints, crls);
    }

    public TrustMaterial withCtl(Set<String> thumbprints) {
        return new TrustMaterial(roots, intermediates, thumbprints, crls);
    }

    public TrustMaterial withCrls(List<X509CRL> more) {
        return new TrustMaterial(roots, intermediates, ctlThumbprints, more);
    }

    static String normalize(String thumbprint) {
        return thumbprint.replaceAll("[^0-9A-Fa-f]", "").toUpperCase(Locale.ROOT);
    }
}
