package org.opencmg.plugins.content;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.opencmg.api.Jdbc;

/**
 * Package versions and their files (content_versions, content_files), as the admin path reads and
 * writes them. Every write bumps {@link ContentRevision} in its transaction; the request path reads
 * {@link PublishedFiles}, the in-memory copy made from {@link #allFiles()}.
 */
final class Catalog {

    record FileEntry(
            String packageId,
            int version,
            String name,
            long size,
            String sha256,
            String storeKey,
            Instant uploadedAt,
            String uploadedBy) {}

    record VersionEntry(String packageId, int version, Instant createdAt, String createdBy) {}

    private static final String FILE_COLUMNS =
            "package_id, version, name, size, sha256, store_key, uploaded_at, uploaded_by";

    private final Jdbc jdbc;

    Catalog(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** The highest version of the package, or 0. */
    int latestVersion(String packageId) {
        return jdbc.query(
                        "select coalesce(max(version), 0) from content_versions where package_id = ?",
                        rs -> rs.getInt(1),
                        packageId)
                .getFirst();
    }

    boolean versionExists(String packageId, int version) {
        return !jdbc.query(
                        "select 1 from content_versions where package_id = ? and version = ?",
                        rs -> 1,
                        packageId,
                        version)
                .isEmpty();
    }

    /** Records a file (and its version if new); false if the version already has a file of that name. */
    boolean addFile(FileEntry f) {
        return jdbc.transaction(c -> {
            try (var version = Jdbc.prepare(
                            c,
                            "select 1 from content_versions where package_id = ? and version = ?",
                            f.packageId(),
                            f.version());
                    var rs = version.executeQuery()) {
                if (!rs.next()) {
                    try (var ins = Jdbc.prepare(
                            c,
                            "insert into content_versions (package_id, version, created_at, created_by) "
                                    + "values (?, ?, ?, ?)",
                            f.packageId(),
                            f.version(),
                            f.uploadedAt(),
                            f.uploadedBy())) {
                        ins.executeUpdate();
                    }
                }
            }
            try (var file = Jdbc.prepare(
                            c,
                            "select 1 from content_files where package_id = ? and version = ? and name = ?",
                            f.packageId(),
                            f.version(),
                            f.name());
                    var rs = file.executeQuery()) {
                if (rs.next()) {
                    c.rollback(); // the version row, if just added, goes too
                    return false;
                }
            }
            try (var ins = Jdbc.prepare(
                    c,
                    "insert into content_files (" + FILE_COLUMNS + ") values (?, ?, ?, ?, ?, ?, ?, ?)",
                    f.packageId(),
                    f.version(),
                    f.name(),
                    f.size(),
                    f.sha256(),
                    f.storeKey(),
                    f.uploadedAt(),
                    f.uploadedBy())) {
                ins.executeUpdate();
            }
            ContentRevision.bump(c);
            return true;
        });
    }

    List<VersionEntry> versions(String packageId) {
        String sql = "select package_id, version, created_at, created_by from content_versions"
                + (packageId == null ? "" : " where package_id = ?") + " order by package_id, version";
        Object[] args = packageId == null ? new Object[0] : new Object[] {packageId};
        return jdbc.query(
                sql,
                rs -> new VersionEntry(rs.getString(1), rs.getInt(2), Jdbc.instant(rs, "created_at"), rs.getString(4)),
                args);
    }

    List<FileEntry> files(String packageId, int version) {
        return jdbc.query(
                "select " + FILE_COLUMNS + " from content_files where package_id = ? and version = ? order by name",
                Catalog::file,
                packageId,
                version);
    }

    /** Every file of every package (for {@link PublishedFiles}). */
    List<FileEntry> allFiles() {
        return jdbc.query("select " + FILE_COLUMNS + " from content_files", Catalog::file);
    }

    Optional<FileEntry> file(String packageId, int version, String name) {
        return jdbc
                .query(
                        "select " + FILE_COLUMNS
                                + " from content_files where package_id = ? and version = ? and name = ?",
                        Catalog::file,
                        packageId,
                        version,
                        name)
                .stream()
                .findFirst();
    }

    /** Removes a version (version > 0) or every version of the package; the files that were recorded. */
    List<FileEntry> remove(String packageId, int version) {
        List<FileEntry> files = new ArrayList<>();
        for (VersionEntry v : versions(packageId)) {
            if (version <= 0 || v.version() == version) {
                files.addAll(files(packageId, v.version()));
            }
        }
        String which = version > 0 ? " where package_id = ? and version = ?" : " where package_id = ?";
        Object[] args = version > 0 ? new Object[] {packageId, version} : new Object[] {packageId};
        jdbc.transaction(c -> {
            for (String table : List.of("content_files", "content_versions")) {
                try (var ps = Jdbc.prepare(c, "delete from " + table + which, args)) {
                    ps.executeUpdate();
                }
            }
            ContentRevision.bump(c);
            return null;
        });
        return files;
    }

    private static FileEntry file(ResultSet rs) throws SQLException {
        return new FileEntry(
                rs.getString(1),
                rs.getInt(2),
                rs.getString(3),
                rs.getLong(4),
                rs.getString(5).strip(),
                rs.getString(6),
                Jdbc.instant(rs, "uploaded_at"),
                rs.getString(8));
    }
}
