package org.opencmg.plugins.content;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Package versions and their files (content_versions, content_files), as the admin path reads and
 * writes them. Every write bumps {@link ContentRevision} in its transaction; the request path reads
 * {@link PublishedFiles}, the in-memory copy made from {@link #allFiles()}.
 */
final class Catalog {

    record FileEntry(String packageId, int version, String name, long size, String sha256, String storeKey,
                     Instant uploadedAt, String uploadedBy) {
    }

    record VersionEntry(String packageId, int version, Instant createdAt, String createdBy) {
    }

    private final DataSource ds;

    Catalog(DataSource ds) {
        this.ds = ds;
    }

    /** The highest version of the package, or 0. */
    int latestVersion(String packageId) {
        return query("select coalesce(max(version), 0) from content_versions where package_id = ?",
                ps -> ps.setString(1, packageId), rs -> rs.getInt(1)).getFirst();
    }

    boolean versionExists(String packageId, int version) {
        return !query("select 1 from content_versions where package_id = ? and version = ?", ps -> {
            ps.setString(1, packageId);
            ps.setInt(2, version);
        }, rs -> 1).isEmpty();
    }

    /** Records a file (and its version if new); false if the version already has a file of that name. */
    boolean addFile(FileEntry f) {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement(
                        "select 1 from content_versions where package_id = ? and version = ?")) {
                    ps.setString(1, f.packageId());
                    ps.setInt(2, f.version());
                    boolean exists;
                    try (ResultSet rs = ps.executeQuery()) {
                        exists = rs.next();
                    }
                    if (!exists) {
                        try (PreparedStatement ins = c.prepareStatement(
                                "insert into content_versions (package_id, version, created_at, created_by) values (?, ?, ?, ?)")) {
                            ins.setString(1, f.packageId());
                            ins.setInt(2, f.version());
                            ins.setTimestamp(3, Timestamp.from(f.uploadedAt()));
                            ins.setString(4, f.uploadedBy());
                            ins.executeUpdate();
                        }
                    }
                }
                try (PreparedStatement ps = c.prepareStatement(
                        "select 1 from content_files where package_id = ? and version = ? and name = ?")) {
                    ps.setString(1, f.packageId());
                    ps.setInt(2, f.version());
                    ps.setString(3, f.name());
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            c.rollback();
                            return false;
                        }
                    }
                }
                try (PreparedStatement ps = c.prepareStatement("insert into content_files (package_id, version, name, size, "
                        + "sha256, store_key, uploaded_at, uploaded_by) values (?, ?, ?, ?, ?, ?, ?, ?)")) {
                    ps.setString(1, f.packageId());
                    ps.setInt(2, f.version());
                    ps.setString(3, f.name());
                    ps.setLong(4, f.size());
                    ps.setString(5, f.sha256());
                    ps.setString(6, f.storeKey());
                    ps.setTimestamp(7, Timestamp.from(f.uploadedAt()));
                    ps.setString(8, f.uploadedBy());
                    ps.executeUpdate();
                }
                ContentRevision.bump(c);
                c.commit();
                return true;
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("content catalog: " + e.getMessage(), e);
        }
    }

    List<VersionEntry> versions(String packageId) {
        String sql = "select package_id, version, created_at, created_by from content_versions"
                + (packageId == null ? "" : " where package_id = ?") + " order by package_id, version";
        return query(sql, ps -> {
            if (packageId != null) {
                ps.setString(1, packageId);
            }
        }, rs -> new VersionEntry(rs.getString(1), rs.getInt(2), rs.getTimestamp(3).toInstant(), rs.getString(4)));
    }

    List<FileEntry> files(String packageId, int version) {
        return query("select package_id, version, name, size, sha256, store_key, uploaded_at, uploaded_by from content_files "
                + "where package_id = ? and version = ? order by name", ps -> {
                    ps.setString(1, packageId);
                    ps.setInt(2, version);
                }, Catalog::file);
    }

    /** Every file of every package (for {@link PublishedFiles}). */
    List<FileEntry> allFiles() {
        return query("select package_id, version, name, size, sha256, store_key, uploaded_at, uploaded_by from content_files",
                ps -> { }, Catalog::file);
    }

    Optional<FileEntry> file(String packageId, int version, String name) {
        return query("select package_id, version, name, size, sha256, store_key, uploaded_at, uploaded_by from content_files "
                + "where package_id = ? and version = ? and name = ?", ps -> {
                    ps.setString(1, packageId);
                    ps.setInt(2, version);
                    ps.setString(3, name);
                }, Catalog::file).stream().findFirst();
    }

    /** Removes a version (version > 0) or every version of the package; the files that were recorded. */
    List<FileEntry> remove(String packageId, int version) {
        List<FileEntry> files = new ArrayList<>();
        for (VersionEntry v : versions(packageId)) {
            if (version <= 0 || v.version() == version) {
                files.addAll(files(packageId, v.version()));
            }
        }
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("delete from content_files where package_id = ?"
                    + (version > 0 ? " and version = ?" : ""))) {
                ps.setString(1, packageId);
                if (version > 0) {
                    ps.setInt(2, version);
                }
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("delete from content_versions where package_id = ?"
                    + (version > 0 ? " and version = ?" : ""))) {
                ps.setString(1, packageId);
                if (version > 0) {
                    ps.setInt(2, version);
                }
                ps.executeUpdate();
            }
            ContentRevision.bump(c);
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException("content catalog: " + e.getMessage(), e);
        }
        return files;
    }

    private static FileEntry file(ResultSet rs) throws SQLException {
        return new FileEntry(rs.getString(1), rs.getInt(2), rs.getString(3), rs.getLong(4), rs.getString(5).strip(),
                rs.getString(6), rs.getTimestamp(7).toInstant(), rs.getString(8));
    }

    interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    interface Row<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private <T> List<T> query(String sql, Binder binder, Row<T> row) {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            binder.bind(ps);
            List<T> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(row.read(rs));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("content catalog: " + e.getMessage(), e);
        }
    }
}
