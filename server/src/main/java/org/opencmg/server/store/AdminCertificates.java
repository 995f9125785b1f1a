package org.opencmg.server.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.opencmg.api.Jdbc;

/**
 * Administrators' client certificates, by SHA-256 thumbprint (table admin_certificates). A
 * thumbprint is stored and compared in one form, upper-case hex as {@code Thumbprints} makes it:
 * whatever case or separators an administrator types, removal finds the row.
 */
public final class AdminCertificates {

    public record AdminCertificate(
            String thumbprintSha256, String user, String subject, Instant notAfter, Instant addedAt, String addedBy) {}

    private final Jdbc jdbc;

    public AdminCertificates(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    public void add(AdminCertificate c) {
        String thumbprint = canonical(c.thumbprintSha256());
        jdbc.transaction(tx -> {
            try (var del = Jdbc.prepare(tx, "delete from admin_certificates where thumbprint_sha256 = ?", thumbprint);
                    var ins = Jdbc.prepare(
                            tx, """
                         insert into admin_certificates (thumbprint_sha256, admin_user, subject, not_after, added_at, added_by)
                         values (?, ?, ?, ?, ?, ?)""", thumbprint, c.user(), c.subject(), c.notAfter(), c.addedAt(), c.addedBy())) {
                del.executeUpdate();
                ins.executeUpdate();
            }
            return null;
        });
    }

    /** The stored form of a thumbprint as an administrator typed it: upper-case hex without separators. */
    public static String canonical(String thumbprintSha256) {
        return ClientTrustStore.normalise(thumbprintSha256);
    }

    public boolean remove(String thumbprintSha256) {
        return jdbc.update("delete from admin_certificates where thumbprint_sha256 = ?", canonical(thumbprintSha256))
                > 0;
    }

    public Optional<AdminCertificate> find(String thumbprintSha256) {
        return jdbc
                .query(
                        "select * from admin_certificates where thumbprint_sha256 = ?",
                        AdminCertificates::row,
                        canonical(thumbprintSha256))
                .stream()
                .findFirst();
    }

    public List<AdminCertificate> list() {
        return jdbc.query("select * from admin_certificates order by admin_user, subject", AdminCertificates::row);
    }

    private static AdminCertificate row(ResultSet rs) throws SQLException {
        return new AdminCertificate(
                rs.getString("thumbprint_sha256"),
                rs.getString("admin_user"),
                rs.getString("subject"),
                Jdbc.instant(rs, "not_after"),
                Jdbc.instant(rs, "added_at"),
                rs.getString("added_by"));
    }
}
