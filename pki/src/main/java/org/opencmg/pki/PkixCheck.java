package org.opencmg.pki;

import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.CertStore;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.PKIXCertPathChecker;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;

/** Step 4: RFC 5280 path validation by the JDK ("PKIX") of a path we built, and the mapping of its failures. */
final class PkixCheck {

    private PkixCheck() {}

    /** Validates signatures, validity, basic constraints, key usage, name constraints and critical extensions. */
    static void structure(PathBuilder.BuiltPath built, Instant at) throws RefusedException {
        try {
            run(built, at, List.of(), null);
        } catch (CertPathValidatorException e) {
            throw refusal(e, built, at);
        }
        anchorValidity(built.anchor(), at);
    }

    /**
     * Runs the JDK validator. Revocation stays off unless a revocation checker is passed (then only the given
     * CRL store is consulted: the JDK does not fetch from distribution points unless com.sun.security.enableCRLDP
     * is set, and our {@link CrlSource} does that instead).
     */
    static void run(PathBuilder.BuiltPath built, Instant at, List<PKIXCertPathChecker> extraCheckers, CertStore crls)
            throws CertPathValidatorException {
        try {
            PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(built.anchor(), null)));
            params.setDate(Date.from(at));
            params.setRevocationEnabled(false);
            params.addCertPathChecker(new EkuCheck.ProcessedMarker());
            extraCheckers.forEach(params::addCertPathChecker);
            if (crls != null) {
                params.addCertStore(crls);
            }
            CertPathValidator.getInstance("PKIX")
                    .validate(CertificateFactory.getInstance("X.509").generateCertPath(built.path()), params);
        } catch (CertPathValidatorException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            // Only a broken JDK gets here; report it as an invalid path rather than crash the handshake.
            throw new CertPathValidatorException("PKIX validation could not run: " + e.getMessage(), e);
        }
    }

    /** The JDK validates the path below the anchor; an expired root must not pass either. */
    private static void anchorValidity(X509Certificate anchor, Instant at) throws RefusedException {
        try {
            anchor.checkValidity(Date.from(at));
        } catch (CertificateExpiredException e) {
            throw new RefusedException(
                    RefusalReason.EXPIRED,
                    "trusted root " + Certs.subject(anchor) + " expired on "
                            + anchor.getNotAfter().toInstant() + " (checked at " + at + ")");
        } catch (CertificateNotYetValidException e) {
            throw new RefusedException(
                    RefusalReason.NOT_YET_VALID,
                    "trusted root " + Certs.subject(anchor) + " is not valid before "
                            + anchor.getNotBefore().toInstant() + " (checked at " + at + ")");
        }
    }

    static RefusedException refusal(CertPathValidatorException e, PathBuilder.BuiltPath built, Instant at) {
        X509Certificate cert = concerned(e, built);
        String who = "certificate " + Certs.subject(cert);
        if (e.getReason() instanceof BasicReason basic) {
            return switch (basic) {
                case EXPIRED ->
                    new RefusedException(
                            RefusalReason.EXPIRED,
                            who + " expired on " + cert.getNotAfter().toInstant() + " (checked at " + at + ")");
                case NOT_YET_VALID ->
                    new RefusedException(
                            RefusalReason.NOT_YET_VALID,
                            who + " is not valid before " + cert.getNotBefore().toInstant() + " (checked at " + at
                                    + ")");
                case INVALID_SIGNATURE ->
                    new RefusedException(
                            RefusalReason.BAD_SIGNATURE,
                            "the signature of " + who + " does not verify with the key of " + Certs.issuer(cert));
                default -> invalidPath(who, e);
            };
        }
        if (e.getReason() instanceof PKIXReason pkix) {
            return switch (pkix) {
                case NOT_CA_CERT ->
                    new RefusedException(
                            RefusalReason.NOT_A_CA,
                            who + " issues certificates but is not a CA (basic constraints CA:true missing)");
                case PATH_TOO_LONG ->
                    new RefusedException(
                            RefusalReason.PATH_LENGTH_EXCEEDED,
                            "the chain exceeds the path length constraint at " + who);
                case INVALID_KEY_USAGE ->
                    new RefusedException(
                            RefusalReason.INVALID_KEY_USAGE,
                            who + " has a key usage that does not allow this use (a CA needs keyCertSign)");
                case INVALID_NAME ->
                    new RefusedException(
                            RefusalReason.NAME_CONSTRAINTS,
                            who + " has a name outside the name constraints of its issuing CAs");
                case INVALID_POLICY ->
                    new RefusedException(
                            RefusalReason.INVALID_POLICY,
                            "no certificate policy valid for the whole path is left at " + who
                                    + " although a CA requires an explicit policy: " + e.getMessage());
                case UNRECOGNIZED_CRIT_EXT ->
                    new RefusedException(
                            RefusalReason.UNKNOWN_CRITICAL_EXTENSION,
                            who + " has a critical extension that is not understood: " + e.getMessage());
                default -> invalidPath(who, e);
            };
        }
        return invalidPath(who, e);
    }

    private static RefusedException invalidPath(String who, CertPathValidatorException e) {
        return new RefusedException(
                RefusalReason.INVALID_PATH, "the chain is invalid at " + who + ": " + e.getMessage());
    }

    /** The certificate the JDK complained about; the leaf when it does not say. */
    static X509Certificate concerned(CertPathValidatorException e, PathBuilder.BuiltPath built) {
        int i = e.getIndex();
        return i >= 0 && i < built.path().size()
                ? built.path().get(i)
                : built.path().getFirst();
    }
}
