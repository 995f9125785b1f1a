package org.opencmg.pki;

import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXCertPathChecker;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/** Step 5: the leaf's extended key usage, checked here so that the refusal says WRONG_EKU and names the purpose. */
final class EkuCheck {

    static final String EKU_OID = "2.5.29.37";

    private EkuCheck() {}

    static void check(X509Certificate leaf, EkuRequirement requirement) throws RefusedException {
        if (requirement == EkuRequirement.ANY) {
            return;
        }
        List<String> ekus;
        try {
            ekus = leaf.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            throw new RefusedException(
                    RefusalReason.WRONG_EKU,
                    "certificate " + Certs.subject(leaf) + " has a malformed extended key usage extension");
        }
        if (ekus == null) {
            throw new RefusedException(
                    RefusalReason.WRONG_EKU,
                    "certificate " + Certs.subject(leaf) + " has no extended key usage extension; "
                            + purpose(requirement) + " is required");
        }
        if (!ekus.contains(requirement.oid())) {
            throw new RefusedException(
                    RefusalReason.WRONG_EKU,
                    "certificate " + Certs.subject(leaf) + " is not valid for " + purpose(requirement)
                            + " (its extended key usages: " + ekus + ")");
        }
    }

    private static String purpose(EkuRequirement r) {
        return (r == EkuRequirement.CLIENT ? "client authentication" : "server authentication") + " (" + r.oid() + ")";
    }

    /**
     * Tells the JDK's PKIX validator that a critical EKU extension is taken care of (by {@link #check}), so it is
     * never refused as an unknown critical extension whatever the JDK version does with EKU.
     */
    static final class ProcessedMarker extends PKIXCertPathChecker {
        @Override
        public void init(boolean forward) {}

        @Override
        public boolean isForwardCheckingSupported() {
            return true;
        }

        @Override
        public Set<String> getSupportedExtensions() {
            return Set.of(EKU_OID);
        }

        @Override
        public void check(Certificate cert, Collection<String> unresolvedCritExts) throws CertPathValidatorException {
            unresolvedCritExts.remove(EKU_OID);
        }
    }
}
