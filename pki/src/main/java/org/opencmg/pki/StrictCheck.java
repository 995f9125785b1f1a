package org.opencmg.pki;

import java.io.IOException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.DSAKey;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.NameConstraints;

/**
 * Step 3: encodings that RFC 5280 forbids and strict validators refuse, before any path processing. The JDK's
 * parser tolerates some of them, and each is a way to make two validators read one certificate two ways.
 * Also bounds the name-constraint work of a path before the JDK does it.
 */
final class StrictCheck {

    /** Subtrees × names of a path above which it is refused unprocessed: far above any real PKI, far below a stall. */
    static final long MAX_NAME_CONSTRAINT_CHECKS = 65_536;

    private static final int MAX_SERIAL_OCTETS = 20;

    private StrictCheck() {}

    static void check(PathBuilder.BuiltPath built) throws RefusedException {
        List<X509Certificate> path = built.path();
        key(built.anchor(), true);
        for (int i = 0; i < path.size(); i++) {
            X509Certificate c = path.get(i);
            key(c, false);
            encoding(c, i > 0);
        }
        nameConstraintWork(built);
    }

    /** DSA keys can inherit their parameters from the issuer (RFC 3279 2.3.2); we do not support DSA at all. */
    private static void key(X509Certificate c, boolean anchor) throws RefusedException {
        if (c.getPublicKey() instanceof DSAKey
                || "DSA".equalsIgnoreCase(c.getPublicKey().getAlgorithm())
                || c.getSigAlgName().toUpperCase().contains("DSA")
                        && !c.getSigAlgName().toUpperCase().contains("ECDSA")) {
            throw new RefusedException(
                    RefusalReason.UNSUPPORTED_KEY,
                    (anchor ? "trusted root " : "certificate ") + Certs.subject(c) + " uses DSA (" + c.getSigAlgName()
                            + "), which the gateway does not accept: use RSA or ECDSA");
        }
    }

    private static void encoding(X509Certificate c, boolean ca) throws RefusedException {
        String who = "certificate " + Certs.subject(c);
        ASN1Sequence cert;
        try {
            cert = ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(c.getEncoded()));
        } catch (CertificateEncodingException | IOException | IllegalArgumentException e) {
            throw malformed(who + " cannot be re-read: " + e.getMessage());
        }
        ASN1Sequence tbs = ASN1Sequence.getInstance(cert.getObjectAt(0));
        int at = tbs.getObjectAt(0) instanceof ASN1TaggedObject ? 1 : 0; // [0] version, absent for v1
        if (ca && c.getVersion() != 3) {
            throw malformed(who + " is a version " + c.getVersion()
                    + " certificate used as a CA: only v3 CAs carry basic constraints");
        }
        // The signature algorithm inside the signed part must be the one of the outer signature (RFC 5280 4.1.1.2).
        ASN1Encodable inner = tbs.getObjectAt(at + 1);
        ASN1Encodable outer = cert.getObjectAt(1);
        if (!inner.toASN1Primitive().equals(outer.toASN1Primitive())) {
            throw malformed(who + " names one signature algorithm in its signed part and another on its signature");
        }
        serial(ASN1Integer.getInstance(tbs.getObjectAt(at)), who);
        if (c.getSubjectX500Principal().getEncoded().length <= 2) { // an empty SEQUENCE
            if (ca) {
                throw malformed(who.replace("certificate ", "a CA certificate issued by " + Certs.issuer(c) + " ")
                        + "has an empty subject");
            }
            if (!c.getCriticalExtensionOIDs().contains(Extension.subjectAlternativeName.getId())) {
                throw malformed("a certificate issued by " + Certs.issuer(c)
                        + " has an empty subject and no critical subject alternative name (RFC 5280 4.1.2.6)");
            }
        }
        extensions(c, tbs, who, ca);
    }

    /**
     * RFC 5280 4.1.2.2: at most 20 octets. Zero and negative serials are non-conforming too, but the RFC asks users
     * to handle them gracefully and the NIST PKITS suite expects a certificate with a negative serial to validate
     * (and to be revoked by a CRL entry with that serial), so only the length is enforced.
     */
    private static void serial(ASN1Integer serial, String who) throws RefusedException {
        byte[] bytes = serial.getValue().toByteArray();
        if (bytes.length > MAX_SERIAL_OCTETS) {
            throw malformed(who + " has a serial number of " + bytes.length + " octets; at most 20 are allowed");
        }
    }

    private static void extensions(X509Certificate c, ASN1Sequence tbs, String who, boolean ca)
            throws RefusedException {
        ASN1Sequence extensions = null;
        for (ASN1Encodable e : tbs) {
            if (e instanceof ASN1TaggedObject t && t.getTagNo() == 3) {
                extensions = ASN1Sequence.getInstance(t.getExplicitBaseObject());
            }
        }
        Set<ASN1ObjectIdentifier> seen = new HashSet<>();
        if (extensions != null) {
            for (ASN1Encodable e : extensions) {
                ASN1ObjectIdentifier oid = ASN1ObjectIdentifier.getInstance(
                        ASN1Sequence.getInstance(e).getObjectAt(0));
                if (!seen.add(oid)) {
                    throw malformed(who + " has the extension " + oid + " twice (RFC 5280 4.2)");
                }
            }
        }
        Set<String> critical = c.getCriticalExtensionOIDs() == null ? Set.of() : c.getCriticalExtensionOIDs();
        if (critical.contains(Extension.authorityKeyIdentifier.getId())) {
            throw malformed(who + " marks its authority key identifier critical, which RFC 5280 4.2.1.1 forbids");
        }
        if (critical.contains(Extension.subjectKeyIdentifier.getId())) {
            throw malformed(who + " marks its subject key identifier critical, which RFC 5280 4.2.1.2 forbids");
        }
        boolean selfIssued = c.getSubjectX500Principal().equals(c.getIssuerX500Principal());
        if (!selfIssued && !seen.contains(Extension.authorityKeyIdentifier)) {
            throw malformed(who + " has no authority key identifier (RFC 5280 4.2.1.1 requires one below the root)");
        }
        if (ca && !seen.contains(Extension.subjectKeyIdentifier)) {
            throw malformed(who + " is a CA without a subject key identifier (RFC 5280 4.2.1.2)");
        }
        byte[] eku = c.getExtensionValue(Extension.extendedKeyUsage.getId());
        if (eku != null) {
            try {
                if (ASN1Sequence.getInstance(ASN1OctetString.getInstance(eku).getOctets())
                                .size()
                        == 0) {
                    throw malformed(who
                            + " has an empty extended key usage extension (RFC 5280 4.2.1.12: at least one purpose)");
                }
            } catch (IllegalArgumentException e) {
                throw malformed(who + " has a malformed extended key usage extension");
            }
        }
    }

    /**
     * Counts, for every CA of the path with name constraints, its subtrees × the names of every certificate below
     * it (subject and each alternative name), and refuses the path above {@link #MAX_NAME_CONSTRAINT_CHECKS}.
     */
    private static void nameConstraintWork(PathBuilder.BuiltPath built) throws RefusedException {
        List<X509Certificate> path = built.path();
        long checks = 0;
        for (int i = path.size(); i >= 1; i--) {
            X509Certificate ca = i == path.size() ? built.anchor() : path.get(i);
            long subtrees = subtrees(ca);
            if (subtrees == 0) {
                continue;
            }
            long names = 0;
            for (int j = i - 1; j >= 0; j--) {
                names += 1 + altNames(path.get(j));
            }
            checks += subtrees * names;
            if (checks > MAX_NAME_CONSTRAINT_CHECKS) {
                throw new RefusedException(
                        RefusalReason.NAME_CONSTRAINTS_TOO_COMPLEX,
                        "the name constraints of "
                                + Certs.subject(ca) + " (" + subtrees + " subtrees) against " + names
                                + " names below it need more than " + MAX_NAME_CONSTRAINT_CHECKS
                                + " comparisons: refused unprocessed");
            }
        }
    }

    private static long subtrees(X509Certificate c) throws RefusedException {
        byte[] ext = c.getExtensionValue(Extension.nameConstraints.getId());
        if (ext == null) {
            return 0;
        }
        try {
            NameConstraints nc =
                    NameConstraints.getInstance(ASN1OctetString.getInstance(ext).getOctets());
            GeneralSubtree[] p = nc.getPermittedSubtrees();
            GeneralSubtree[] x = nc.getExcludedSubtrees();
            return (p == null ? 0 : p.length) + (x == null ? 0 : x.length);
        } catch (IllegalArgumentException e) {
            throw new RefusedException(
                    RefusalReason.NAME_CONSTRAINTS,
                    "certificate " + Certs.subject(c) + " has a malformed name constraints extension");
        }
    }

    private static int altNames(X509Certificate c) throws RefusedException {
        try {
            Collection<List<?>> names = c.getSubjectAlternativeNames();
            return names == null ? 0 : names.size();
        } catch (CertificateParsingException e) {
            throw malformed("certificate " + Certs.subject(c) + " has a malformed subject alternative name extension");
        }
    }

    private static RefusedException malformed(String detail) {
        return new RefusedException(RefusalReason.MALFORMED_CERTIFICATE, detail);
    }
}
