package org.opencmg.server.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import org.opencmg.api.Jdbc;

/**
 * Revision counters of shared state (table state_revisions). A writer bumps its topic in the same
 * transaction as the change; every instance polls them and reloads what moved.
 */
public final class StateRevisions {

    public static final String ENDPOINTS = "endpoints";
    public static final String TRUST = "trust";
    public static final String SETTINGS = "settings";
    public static final String CONNECTION_POINTS = "connection_points";
    public static final String SECRETS = "secrets";

    private final Jdbc jdbc;

    public StateRevisions(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    public void bump(Connection c, String topic) throws SQLException {
        try (var ps = Jdbc.prepare(c, "update state_revisions set revision = revision + 1 where topic = ?", topic)) {
            ps.executeUpdate();
        }
    }

    public Map<String, Long> current() {
        var out = new HashMap<String, Long>();
        jdbc.query("select topic, revision from state_revisions", rs -> out.put(rs.getString(1), rs.getLong(2)));
        return out;
    }
}
