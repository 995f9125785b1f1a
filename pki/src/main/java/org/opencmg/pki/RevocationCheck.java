package org.opencmg.pki;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.GeneralSecurityException;
import java.security.cert.CRLReason;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.CertStore;
import java.security.cert.CertificateRevokedException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Step 6: every certificate of the path (the anchor excepted) must be covered by a current CRL of its issuer.
 * CRLs only (no OCSP), no soft fail: a status that cannot be determined refuses, as IIS does on the original.
 *
 * <p>Why the pre-check: the JDK's {@link PKIXRevocationChecker} (non-legacy mode, JDK 17-25) always fetches a
 * certificate's CRL distribution points itself when none of the CRLs it was given is approved, with 15 s
 * timeouts and only a 30 s memory of failures. That would bypass {@link CrlCache}'s timeout and backoff on every
 * handshake while a distribution point is down. So before running it we make sure each certificate has at least one
 * current CRL signed by its issuer; without one the answer is REVOCATION_UNKNOWN and the JDK is not asked.
 */
final class RevocationCheck {

    private static final Logger LOG = LoggerFactory.getLogger(RevocationCheck.class);

    /** The JDK tolerates a CRL published up to 15 minutes "in the future" (CA clock ahead); so do we. */
    private static final Duration CLOCK_SKEW = Duration.ofMinutes(15);

    private final CrlSource source;

    RevocationCheck(CrlSource source) {
        this.source = source;
    }

    void check(PathBuilder.BuiltPath built, TrustMaterial trust, Instant at) throws RefusedException {
        List<X509CRL> crls = new ArrayList<>(trust.crls());
        // Only reached for paths that already validated, so only URLs of trusted CAs' certificates are fetched.
        List<X509Certificate> path = built.path();
        for (int i = 0; i < path.size(); i++) {
            crls.addAll(fetched(path.get(i), i + 1 < path.size() ? path.get(i + 1) : built.anchor(), at));
        }
        requireCandidateCrls(built, crls, trust, at);
        try {
            PKIXRevocationChecker checker = (PKIXRevocationChecker) CertPathValidator.getInstance("PKIX").getRevocationChecker();
            checker.setOptions(EnumSet.of(PKIXRevocationChecker.Option.PREFER_CRLS, PKIXRevocationChecker.Option.NO_FALLBACK));
            CertStore store = CertStore.getInstance("Collection", new CollectionCertStoreParameters(crls));
            PkixCheck.run(built, at, List.of(checker), store);
        } catch (CertPathValidatorException e) {
            throw refusal(e, built, trust, at);
        } catch (GeneralSecurityException e) {
            throw new RefusedException(RefusalReason.REVOCATION_UNKNOWN,
                    "revocation of " + Certs.subject(built.path().getFirst()) + " could not be checked: " + e.getMessage());
        }
    }

    /** Top-down, like the JDK, so that the same certificate is reported whichever step notices. */
    private void requireCandidateCrls(PathBuilder.BuiltPath built, List<X509CRL> crls, TrustMaterial trust, Instant at)
            throws RefusedException {
        List<X509Certificate> path = built.path();
        for (int i = path.size() - 1; i >= 0; i--) {
            X509Certificate cert = path.get(i);
            X509Certificate issuer = i + 1 < path.size() ? path.get(i + 1) : built.anchor();
            if (crls.stream().noneMatch(crl -> current(crl, issuer, at))) {
                throw new RefusedException(RefusalReason.REVOCATION_UNKNOWN, unknownDetail(cert, trust, at));
            }
        }
    }

    /** Issued by {@code issuer}, signed by its key, already published and not past its nextUpdate at {@code at}. */
    private static boolean current(X509CRL crl, X509Certificate issuer, Instant at) {
        return Certs.crlSignedBy(crl, issuer)
                && !crl.getThisUpdate().toInstant().isAfter(at.plus(CLOCK_SKEW))
                && (crl.getNextUpdate() == null || crl.getNextUpdate().toInstant().isAfter(at));
    }

    private List<X509CRL> fetched(X509Certificate c, X509Certificate issuer, Instant at) {
        try {
            return source.crlsFor(c, issuer, at);
        } catch (RuntimeException e) {
            LOG.warn("CRL source failed for {}: {}", Certs.subject(c), e.toString());
            return List.of();
        }
    }

    private RefusedException refusal(CertPathValidatorException e, PathBuilder.BuiltPath built, TrustMaterial trust, Instant at) {
        X509Certificate cert = PkixCheck.concerned(e, built);
        if (e.getReason() == BasicReason.REVOKED) {
            String when = "";
            String reason = "";
            if (e.getCause() instanceof CertificateRevokedException r) {
                when = " on " + r.getRevocationDate().toInstant();
                reason = r.getRevocationReason() == CRLReason.UNSPECIFIED ? "" : " (reason: " + r.getRevocationReason() + ")";
            }
            return new RefusedException(RefusalReason.REVOKED, "certificate " + Certs.subject(cert) + " (serial "
                    + cert.getSerialNumber().toString(16).toUpperCase() + ") was revoked by " + Certs.issuer(cert) + when + reason);
        }
        if (e.getReason() == BasicReason.UNDETERMINED_REVOCATION_STATUS) {
            return new RefusedException(RefusalReason.REVOCATION_UNKNOWN, unknownDetail(cert, trust, at));
        }
        return PkixCheck.refusal(e, built, at);
    }

    /** Says where a CRL was looked for, so the admin knows whether to upload one or fix the distribution point. */
    private String unknownDetail(X509Certificate cert, TrustMaterial trust, Instant at) {
        List<X509CRL> uploaded = trust.crls().stream()
                .filter(crl -> crl.getIssuerX500Principal().equals(cert.getIssuerX500Principal()))
                .toList();
        String uploadedText = uploaded.isEmpty() ? "none uploaded"
                : uploaded.stream().map(crl -> crl.getNextUpdate() == null ? "uploaded CRL without nextUpdate"
                        : "uploaded CRL valid until " + crl.getNextUpdate().toInstant())
                .collect(Collectors.joining(", "));
        List<String> urls = CrlDistributionPoints.httpUrls(cert);
        String cdpText = urls.isEmpty() ? "the certificate names no http distribution point"
                : "distribution points " + String.join(", ", urls) + " gave no usable CRL";
        return "revocation status of " + Certs.subject(cert) + " unknown at " + at + ": no current CRL from "
                + Certs.issuer(cert) + " (" + uploadedText + "; " + cdpText + ")";
    }
}
