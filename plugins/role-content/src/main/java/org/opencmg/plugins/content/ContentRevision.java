package org.opencmg.plugins.content;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;

/** The revision counter of the plugin's shared state (table content_revision): writers bump it, instances poll it. */
final class ContentRevision {

    private final DataSource ds;

    ContentRevision(DataSource ds) {
        this.ds = ds;
    }

    long current() {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("select revision from content_revision");
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getLong(1) : 0;
        } catch (SQLException e) {
            throw new IllegalStateException("content revision: " + e.getMessage(), e);
        }
    }

    /** In the writer's transaction, so that no instance sees the change without the bump. */
    static void bump(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update content_revision set revision = revision + 1")) {
            ps.executeUpdate();
        }
    }
}
