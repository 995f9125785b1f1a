package org.opencmg.pki;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Step 2 of validation: walks from the leaf up to an uploaded root, by issuer name and signature, using what the
 * client sent and the uploaded intermediates. Done by hand rather than with the JDK's CertPathBuilder so that a
 * failure says precisely what is missing ("upload the intermediate CA"), which is the most common admin pain.
 */
final class PathBuilder {

    record BuiltPath(List<X509Certificate> path, X509Certificate anchor) {}

    private PathBuilder() {}

    /** {@code maxDepth}: the most certificates below the anchor; also guards against loops of cross-signed CAs. */
    static BuiltPath build(List<X509Certificate> presented, TrustMaterial trust, int maxDepth) throws RefusedException {
        X509Certificate leaf = presented.getFirst();
        if (trust.roots().contains(leaf)) {
            throw new RefusedException(
                    RefusalReason.INVALID_PATH,
                    "certificate " + Certs.subject(leaf)
                            + " is a trusted root CA itself, not an end-entity certificate");
        }
        Set<X509Certificate> pool = new LinkedHashSet<>(presented.subList(1, presented.size()));
        pool.addAll(trust.intermediates());

        List<X509Certificate> path = new ArrayList<>();
        X509Certificate current = leaf;
        while (path.size() < maxDepth) {
            path.add(current);
            Optional<X509Certificate> root = issuerAmong(current, trust.roots());
            if (root.isPresent()) {
                return new BuiltPath(List.copyOf(path), root.get());
            }
            if (Certs.selfSigned(current)) {
                throw new RefusedException(
                        RefusalReason.UNTRUSTED_ROOT,
                        "the chain of " + Certs.subject(leaf) + " ends at " + Certs.subject(current)
                                + ", a root CA that is not among the trusted roots");
            }
            Optional<X509Certificate> next = issuerAmong(
                    current, pool.stream().filter(c -> !path.contains(c)).toList());
            if (next.isEmpty()) {
                throw missingIssuer(current, pool, trust);
            }
            current = next.get();
        }
        throw new RefusedException(
                RefusalReason.CHAIN_TOO_DEEP,
                "the chain of " + Certs.subject(leaf) + " has more than " + maxDepth
                        + " certificates below its root (the max-chain-depth setting), or loops");
    }

    private static Optional<X509Certificate> issuerAmong(X509Certificate cert, List<X509Certificate> candidates) {
        return candidates.stream().filter(c -> Certs.issuedBy(cert, c)).findFirst();
    }

    /** Tells "a CA of that name exists but did not sign this" apart from "no CA of that name is known". */
    private static RefusedException missingIssuer(
            X509Certificate cert, Set<X509Certificate> pool, TrustMaterial trust) {
        boolean sameNameKnown =
                pool.stream().anyMatch(c -> c.getSubjectX500Principal().equals(cert.getIssuerX500Principal()))
                        || trust.roots().stream()
                                .anyMatch(c -> c.getSubjectX500Principal().equals(cert.getIssuerX500Principal()));
        if (sameNameKnown) {
            return new RefusedException(
                    RefusalReason.BAD_SIGNATURE,
                    "the signature of " + Certs.subject(cert) + " does not verify with the key of any known CA named "
                            + Certs.issuer(cert) + " (forged, or the CA was re-keyed: upload its current certificate)");
        }
        return new RefusedException(
                RefusalReason.INCOMPLETE_CHAIN,
                "the issuer " + Certs.issuer(cert) + " of " + Certs.subject(cert)
                        + " was neither sent by the client nor uploaded: upload the intermediate CA");
    }
}
