package org.opencmg.plugins.content;

import java.sql.Connection;
import java.sql.SQLException;
import org.opencmg.api.Jdbc;

/** The revision counter of the plugin's shared state (table content_revision): writers bump it, instances poll it. */
final class ContentRevision {

    private final Jdbc jdbc;

    ContentRevision(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    long current() {
        return jdbc.query("select revision from content_revision", rs -> rs.getLong(1)).stream()
                .findFirst()
                .orElse(0L);
    }

    /** In the writer's transaction, so that no instance sees the change without the bump. */
    static void bump(Connection c) throws SQLException {
        try (var ps = c.prepareStatement("update content_revision set revision = revision + 1")) {
            ps.executeUpdate();
        }
    }
}
