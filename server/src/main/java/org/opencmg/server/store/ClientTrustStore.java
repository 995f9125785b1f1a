package org.opencmg.server.store;

import java.io.ByteArrayInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CRLException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import org.opencmg.api.ClientTrust;
import org.opencmg.api.Jdbc;
import org.opencmg.pki.Thumbprints;

/** Trusted roots and intermediates, the certificate trust list and uploaded CRLs. */
public final class ClientTrustStore {

    public record TrustedCertificate(
            String thumbprintSha256,
            String thumbprintSha1,
            String kind,
            String subject,
            String issuer,
            Instant notAfter,
            Instant addedAt) {}

    public record CtlEntry(String thumbprintSha256, String subject, Instant addedAt) {}

    public record UploadedCrl(String sha256, String issuer, Instant thisUpdate, Instant nextUpdate, Instant addedAt) {}

    private final Jdbc jdbc;
    private final StateRevisions revisions;

    public ClientTrustStore(Jdbc jdbc, StateRevisions revisions) {
        this.jdbc = jdbc;
        this.revisions = revisions;
    }

    public static boolean isSelfSigned(X509Certificate c) {
        if (!c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
            return false;
        }
        try {
            c.verify(c.getPublicKey());
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** Adds a root (self-signed) or intermediate CA certificate; returns what was stored. */
    public TrustedCertificate add(X509Certificate c, Instant now) {
        return jdbc.transaction(tx -> add(tx, c, now));
    }

    /** As {@link #add(X509Certificate, Instant)}, in the caller's transaction. */
    public TrustedCertificate add(Connection tx, X509Certificate c, Instant now) throws SQLException {
        String kind = isSelfSigned(c) ? "root" : "intermediate";
        if (c.getBasicConstraints() < 0) {
            throw new IllegalArgumentException(
                    "not a CA certificate: " + c.getSubjectX500Principal().getName());
        }
        var row = new TrustedCertificate(
                Thumbprints.sha256(c),
                Thumbprints.sha1(c),
                kind,
                c.getSubjectX500Principal().getName(),
                c.getIssuerX500Principal().getName(),
                c.getNotAfter().toInstant(),
                now);
        try (var del = Jdbc.prepare(
                        tx, "delete from trusted_certificates where thumbprint_sha256 = ?", row.thumbprintSha256());
                var ins = Jdbc.prepare(
                        tx,
                        """
                     insert into trusted_certificates (thumbprint_sha256, thumbprint_sha1, kind, subject, issuer, not_after, der, added_at)
                     values (?, ?, ?, ?, ?, ?, ?, ?)""",
                        row.thumbprintSha256(),
                        row.thumbprintSha1(),
                        kind,
                        row.subject(),
                        row.issuer(),
                        row.notAfter(),
                        der(c),
                        now)) {
            del.executeUpdate();
            ins.executeUpdate();
        }
        revisions.bump(tx, StateRevisions.TRUST);
        return row;
    }

    /** Removes by SHA-256 or SHA-1 thumbprint (hex, any case, colons allowed). */
    public boolean remove(String thumbprint) {
        return jdbc.transaction(tx -> remove(tx, thumbprint));
    }

    /** As {@link #remove(String)}, in the caller's transaction. */
    public boolean remove(Connection tx, String thumbprint) throws SQLException {
        String t = normalise(thumbprint);
        int n;
        try (var del = Jdbc.prepare(
                tx, "delete from trusted_certificates where thumbprint_sha256 = ? or thumbprint_sha1 = ?", t, t)) {
            n = del.executeUpdate();
        }
        if (n > 0) {
            revisions.bump(tx, StateRevisions.TRUST);
        }
        return changed(n);
    }

    /** The trusted certificates themselves, roots and intermediates (for an export). */
    public List<X509Certificate> certificates() {
        return jdbc.query(
                "select der from trusted_certificates order by thumbprint_sha256", rs -> certificate(rs.getBytes(1)));
    }

    public List<TrustedCertificate> list() {
        return jdbc.query(
                "select * from trusted_certificates order by kind desc, subject",
                rs -> new TrustedCertificate(
                        rs.getString("thumbprint_sha256"),
                        rs.getString("thumbprint_sha1"),
                        rs.getString("kind"),
                        rs.getString("subject"),
                        rs.getString("issuer"),
                        Jdbc.instant(rs, "not_after"),
                        Jdbc.instant(rs, "added_at")));
    }

    public CtlEntry addToCtl(X509Certificate root, Instant now) {
        var entry = new CtlEntry(
                Thumbprints.sha256(root), root.getSubjectX500Principal().getName(), now);
        jdbc.transaction(tx -> {
            addToCtl(tx, entry);
            return null;
        });
        return entry;
    }

    /** Adds (or replaces) a CTL entry by its thumbprint, in the caller's transaction: the entry holds no certificate. */
    public void addToCtl(Connection tx, CtlEntry entry) throws SQLException {
        try (var del = Jdbc.prepare(
                        tx, "delete from ctl_entries where thumbprint_sha256 = ?", entry.thumbprintSha256());
                var ins = Jdbc.prepare(
                        tx,
                        "insert into ctl_entries (thumbprint_sha256, subject, added_at) values (?, ?, ?)",
                        entry.thumbprintSha256(),
                        entry.subject(),
                        entry.addedAt())) {
            del.executeUpdate();
            ins.executeUpdate();
        }
        revisions.bump(tx, StateRevisions.TRUST);
    }

    public boolean removeFromCtl(String thumbprint) {
        return jdbc.transaction(tx -> removeFromCtl(tx, thumbprint));
    }

    /** As {@link #removeFromCtl(String)}, in the caller's transaction. */
    public boolean removeFromCtl(Connection tx, String thumbprint) throws SQLException {
        String t = normalise(thumbprint);
        int n;
        try (var del = Jdbc.prepare(tx, "delete from ctl_entries where thumbprint_sha256 = ?", t)) {
            n = del.executeUpdate();
        }
        if (n > 0) {
            revisions.bump(tx, StateRevisions.TRUST);
        }
        return changed(n);
    }

    public List<CtlEntry> ctl() {
        return jdbc.query(
                "select * from ctl_entries order by subject",
                rs -> new CtlEntry(
                        rs.getString("thumbprint_sha256"), rs.getString("subject"), Jdbc.instant(rs, "added_at")));
    }

    /**
     * Stores an uploaded CRL, replacing the issuer's older one of the same scope (complete or delta, issuing
     * distribution point). An upload older than the stored CRL of its scope is refused: it would roll
     * revocations back.
     */
    public UploadedCrl addCrl(X509CRL crl, Instant now) {
        return jdbc.transaction(tx -> addCrl(tx, crl, now));
    }

    /** As {@link #addCrl(X509CRL, Instant)}, in the caller's transaction. */
    public UploadedCrl addCrl(Connection tx, X509CRL crl, Instant now) throws SQLException {
        byte[] der;
        try {
            der = crl.getEncoded();
        } catch (CRLException e) {
            throw new IllegalArgumentException("unreadable CRL", e);
        }
        var row = new UploadedCrl(
                sha256(der),
                crl.getIssuerX500Principal().getName(),
                crl.getThisUpdate().toInstant(),
                crl.getNextUpdate() == null ? null : crl.getNextUpdate().toInstant(),
                now);
        // One CRL per issuer and scope: a complete CRL and its delta, or the partitions of a CA (one per
        // issuing distribution point), are kept side by side; each replaces only an older one of its own scope.
        String scope = scope(crl);
        var sameScope = new ArrayList<String>();
        try (var q = Jdbc.prepare(tx, "select sha256, this_update, der from crls where issuer = ?", row.issuer());
                var rs = q.executeQuery()) {
            while (rs.next()) {
                if (!scope.equals(scope(crl(rs.getBytes("der"))))) {
                    continue;
                }
                if (Jdbc.instant(rs, "this_update").isAfter(row.thisUpdate())) {
                    throw new IllegalArgumentException("a newer CRL of " + row.issuer() + " is already stored");
                }
                sameScope.add(rs.getString("sha256"));
            }
        }
        sameScope.add(row.sha256());
        for (String old : sameScope) {
            try (var del = Jdbc.prepare(tx, "delete from crls where sha256 = ?", old)) {
                del.executeUpdate();
            }
        }
        try (var ins = Jdbc.prepare(
                tx,
                "insert into crls (sha256, issuer, this_update, next_update, der, added_at) values (?, ?, ?, ?, ?, ?)",
                row.sha256(),
                row.issuer(),
                row.thisUpdate(),
                row.nextUpdate(),
                der,
                now)) {
            ins.executeUpdate();
        }
        revisions.bump(tx, StateRevisions.TRUST);
        return row;
    }

    /** Delta or complete, and the issuing distribution point: what one CRL of an issuer may replace. */
    public static String scope(X509CRL crl) {
        byte[] idp = crl.getExtensionValue("2.5.29.28");
        boolean delta = crl.getExtensionValue("2.5.29.27") != null;
        return (delta ? "delta|" : "complete|")
                + (idp == null ? "" : HexFormat.of().formatHex(idp));
    }

    public boolean removeCrl(String sha256) {
        return jdbc.transaction(tx -> removeCrl(tx, sha256));
    }

    /** As {@link #removeCrl(String)}, in the caller's transaction. */
    public boolean removeCrl(Connection tx, String sha256) throws SQLException {
        String t = normalise(sha256);
        int n;
        try (var del = Jdbc.prepare(tx, "delete from crls where sha256 = ?", t)) {
            n = del.executeUpdate();
        }
        if (n > 0) {
            revisions.bump(tx, StateRevisions.TRUST);
        }
        return changed(n);
    }

    /** The uploaded CRLs themselves (for an export). */
    public List<X509CRL> uploadedCrls() {
        return jdbc.query("select der from crls order by sha256", rs -> crl(rs.getBytes(1)));
    }

    public List<UploadedCrl> crls() {
        return jdbc.query(
                "select * from crls order by issuer",
                rs -> new UploadedCrl(
                        rs.getString("sha256"),
                        rs.getString("issuer"),
                        Jdbc.instant(rs, "this_update"),
                        Jdbc.instant(rs, "next_update"),
                        Jdbc.instant(rs, "added_at")));
    }

    /** Everything above as the immutable snapshot plugins see. */
    public ClientTrust snapshot(long revision) {
        var roots = new ArrayList<X509Certificate>();
        var intermediates = new ArrayList<X509Certificate>();
        jdbc.query("select kind, der from trusted_certificates", rs -> {
            X509Certificate c = certificate(rs.getBytes("der"));
            ("root".equals(rs.getString("kind")) ? roots : intermediates).add(c);
            return null;
        });
        var ctl = new HashSet<>(jdbc.query("select thumbprint_sha256 from ctl_entries", rs -> rs.getString(1)));
        var crls = jdbc.query("select der from crls", rs -> crl(rs.getBytes(1)));
        return new ClientTrust(roots, intermediates, ctl, crls, revision);
    }

    private static boolean changed(int n) {
        return n > 0;
    }

    static String normalise(String thumbprint) {
        return thumbprint.replace(":", "").replace(" ", "").strip().toUpperCase();
    }

    private static byte[] der(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("unencodable certificate", e);
        }
    }

    private static X509Certificate certificate(byte[] der) {
        try {
            return (X509Certificate)
                    CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            throw new IllegalStateException("stored certificate unreadable", e);
        }
    }

    private static X509CRL crl(byte[] der) {
        try {
            return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
        } catch (CertificateException | CRLException e) {
            throw new IllegalStateException("stored CRL unreadable", e);
        }
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of()
                    .withUpperCase()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
