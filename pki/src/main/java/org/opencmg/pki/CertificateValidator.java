package org.opencmg.pki;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * Decides whether a client (or server) certificate chain is acceptable, the way the original gateway's IIS does:
 * chain to an uploaded root, root in the CTL if there is one, RFC 5280 path rules, the required EKU and,
 * optionally, CRL revocation. Stateless apart from the CRL source, so thread-safe.
 */
public final class CertificateValidator {

    private final RevocationCheck revocation;

    public CertificateValidator(CrlSource crls) {
        this.revocation = new RevocationCheck(Objects.requireNonNull(crls, "crls"));
    }

    /** presentedChain: what the client sent, leaf first (may be only the leaf). Thread-safe. */
    public ValidationResult validate(
            List<X509Certificate> presentedChain, TrustMaterial trust, ValidationOptions options) {
        PathBuilder.BuiltPath built = null;
        try {
            if (presentedChain == null || presentedChain.isEmpty()) {
                throw new RefusedException(RefusalReason.NO_CERTIFICATE, "no client certificate was presented");
            }
            built = PathBuilder.build(presentedChain, trust, options.maxChainDepth());
            checkCtl(built, trust);
            StrictCheck.check(built);
            PkixCheck.structure(built, options.at());
            EkuCheck.check(built.path().getFirst(), options.eku());
            if (options.checkRevocation()) {
                RevocationCheck.Outcome outcome =
                        revocation.check(built, trust, options.at(), options.revocationMode());
                return new ValidationResult.Valid(built.path(), built.anchor(), outcome.crls(), outcome.warnings());
            }
            return new ValidationResult.Valid(built.path(), built.anchor());
        } catch (RefusedException e) {
            return built == null ? e.refused() : e.refused(built.path());
        }
    }

    /** How many certificates passed only because soft revocation mode let them (since this validator was made). */
    public long softRevocationPasses() {
        return revocation.softPasses();
    }

    /** The site's certificate trust list narrows the uploaded roots further, for client certificates. */
    private static void checkCtl(PathBuilder.BuiltPath built, TrustMaterial trust) throws RefusedException {
        if (trust.ctlThumbprints().isEmpty()) {
            return;
        }
        String thumbprint = Thumbprints.sha256(built.anchor());
        if (!trust.ctlThumbprints().contains(thumbprint)) {
            throw new RefusedException(
                    RefusalReason.NOT_IN_CTL,
                    "the chain of " + Certs.subject(built.path().getFirst())
                            + " ends at root " + Certs.subject(built.anchor()) + " (SHA-256 " + thumbprint
                            + "), which is not in the certificate trust list");
        }
    }
}
