package org.opencmg.pki;

import java.math.BigInteger;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.NoSuchProviderException;
import java.security.Principal;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SignatureException;
import java.security.cert.CRLException;
import java.security.cert.CRLReason;
import java.security.cert.Certificate;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.Extension;

/**
 * A BouncyCastle CRL whose entries call only the entry extensions RFC 5280 section 5.3 does not define "unsupported"
 * when critical. BouncyCastle 1.86 treats every critical entry extension as unsupported, and so cannot use an
 * indirect CRL, whose certificate issuer entry extension MUST be critical. Everything else is delegated.
 */
final class KnownEntryExtensionsCrl extends X509CRL {

    /** reasonCode, invalidityDate, certificateIssuer and holdInstructionCode: what section 5.3 defines. */
    private static final Set<String> KNOWN = Set.of(
            Extension.reasonCode.getId(),
            Extension.invalidityDate.getId(),
            Extension.certificateIssuer.getId(),
            Extension.instructionCode.getId());

    private final X509CRL crl;

    KnownEntryExtensionsCrl(X509CRL crl) {
        this.crl = crl;
    }

    @Override
    public byte[] getEncoded() throws CRLException {
        return crl.getEncoded();
    }

    @Override
    public void verify(PublicKey key)
            throws CRLException, NoSuchAlgorithmException, InvalidKeyException, NoSuchProviderException,
                    SignatureException {
        crl.verify(key);
    }

    @Override
    public void verify(PublicKey key, String sigProvider)
            throws CRLException, NoSuchAlgorithmException, InvalidKeyException, NoSuchProviderException,
                    SignatureException {
        crl.verify(key, sigProvider);
    }

    @Override
    public void verify(PublicKey key, Provider sigProvider)
            throws CRLException, NoSuchAlgorithmException, InvalidKeyException, SignatureException {
        crl.verify(key, sigProvider);
    }

    @Override
    public int getVersion() {
        return crl.getVersion();
    }

    @SuppressWarnings("deprecation")
    @Override
    public Principal getIssuerDN() {
        return crl.getIssuerDN();
    }

    @Override
    public X500Principal getIssuerX500Principal() {
        return crl.getIssuerX500Principal();
    }

    @Override
    public Date getThisUpdate() {
        return crl.getThisUpdate();
    }

    @Override
    public Date getNextUpdate() {
        return crl.getNextUpdate();
    }

    @Override
    public X509CRLEntry getRevokedCertificate(BigInteger serial) {
        return wrap(crl.getRevokedCertificate(serial));
    }

    @Override
    public X509CRLEntry getRevokedCertificate(X509Certificate c) {
        return wrap(crl.getRevokedCertificate(c));
    }

    @Override
    public Set<? extends X509CRLEntry> getRevokedCertificates() {
        Set<? extends X509CRLEntry> entries = crl.getRevokedCertificates();
        if (entries == null) {
            return null;
        }
        Set<X509CRLEntry> out = new LinkedHashSet<>();
        entries.forEach(e -> out.add(wrap(e)));
        return out;
    }

    @Override
    public byte[] getTBSCertList() throws CRLException {
        return crl.getTBSCertList();
    }

    @Override
    public byte[] getSignature() {
        return crl.getSignature();
    }

    @Override
    public String getSigAlgName() {
        return crl.getSigAlgName();
    }

    @Override
    public String getSigAlgOID() {
        return crl.getSigAlgOID();
    }

    @Override
    public byte[] getSigAlgParams() {
        return crl.getSigAlgParams();
    }

    @Override
    public String toString() {
        return crl.toString();
    }

    @Override
    public boolean isRevoked(Certificate c) {
        return crl.isRevoked(c);
    }

    @Override
    public boolean hasUnsupportedCriticalExtension() {
        return crl.hasUnsupportedCriticalExtension();
    }

    @Override
    public Set<String> getCriticalExtensionOIDs() {
        return crl.getCriticalExtensionOIDs();
    }

    @Override
    public Set<String> getNonCriticalExtensionOIDs() {
        return crl.getNonCriticalExtensionOIDs();
    }

    @Override
    public byte[] getExtensionValue(String oid) {
        return crl.getExtensionValue(oid);
    }

    /** By identity: X509CRL's own equals and hashCode go over the whole encoding, megabytes for a large CRL. */
    @Override
    public boolean equals(Object other) {
        return this == other;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    private static X509CRLEntry wrap(X509CRLEntry e) {
        return e == null ? null : new Entry(e);
    }

    private static final class Entry extends X509CRLEntry {
        private final X509CRLEntry e;

        Entry(X509CRLEntry e) {
            this.e = e;
        }

        @Override
        public byte[] getEncoded() throws CRLException {
            return e.getEncoded();
        }

        @Override
        public BigInteger getSerialNumber() {
            return e.getSerialNumber();
        }

        @Override
        public X500Principal getCertificateIssuer() {
            return e.getCertificateIssuer();
        }

        @Override
        public Date getRevocationDate() {
            return e.getRevocationDate();
        }

        @Override
        public boolean hasExtensions() {
            return e.hasExtensions();
        }

        @Override
        public CRLReason getRevocationReason() {
            return e.getRevocationReason();
        }

        @Override
        public String toString() {
            return e.toString();
        }

        @Override
        public Set<String> getCriticalExtensionOIDs() {
            return e.getCriticalExtensionOIDs();
        }

        @Override
        public Set<String> getNonCriticalExtensionOIDs() {
            return e.getNonCriticalExtensionOIDs();
        }

        @Override
        public byte[] getExtensionValue(String oid) {
            return e.getExtensionValue(oid);
        }

        @Override
        public boolean hasUnsupportedCriticalExtension() {
            Set<String> critical = e.getCriticalExtensionOIDs();
            if (critical == null) {
                return false;
            }
            Set<String> unknown = new HashSet<>(critical);
            unknown.removeAll(KNOWN);
            return !unknown.isEmpty();
        }
    }
}
