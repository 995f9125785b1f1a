package org.opencmg.server.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.opencmg.api.Jdbc;

/** Registered connection points (table connection_points): who may open a channel, for which site. */
public final class ConnectionPointStore {

    public record Registration(
            String name,
            String site,
            String thumbprintSha256,
            String connectionId,
            Instant registeredAt,
            String registeredBy) {}

    private final Jdbc jdbc;
    private final StateRevisions revisions;

    public ConnectionPointStore(Jdbc jdbc, StateRevisions revisions) {
        this.jdbc = jdbc;
        this.revisions = revisions;
    }

    public List<Registration> list() {
        return jdbc.query("select * from connection_points order by site, name", ConnectionPointStore::row);
    }

    /** The registration matching a certificate thumbprint and connection ID, if any. */
    public Optional<Registration> find(String thumbprintSha256, String connectionId) {
        return jdbc
                .query(
                        "select * from connection_points where thumbprint_sha256 = ? and connection_id = ?",
                        ConnectionPointStore::row,
                        thumbprintSha256,
                        connectionId)
                .stream()
                .findFirst();
    }

    /** Registers (or re-registers, by name) a connection point. */
    public void register(Registration r) {
        jdbc.transaction(tx -> {
            register(tx, r);
            return null;
        });
    }

    /** As {@link #register(Registration)}, in the caller's transaction. */
    public void register(Connection tx, Registration r) throws SQLException {
        try (var del = Jdbc.prepare(
                        tx,
                        "delete from connection_points where name = ? or (thumbprint_sha256 = ? and connection_id = ?)",
                        r.name(),
                        r.thumbprintSha256(),
                        r.connectionId());
                var ins = Jdbc.prepare(
                        tx,
                        """
                     insert into connection_points (name, site, thumbprint_sha256, connection_id, registered_at, registered_by)
                     values (?, ?, ?, ?, ?, ?)""",
                        r.name(),
                        r.site(),
                        r.thumbprintSha256(),
                        r.connectionId(),
                        r.registeredAt(),
                        r.registeredBy())) {
            del.executeUpdate();
            ins.executeUpdate();
        }
        revisions.bump(tx, StateRevisions.CONNECTION_POINTS);
    }

    public boolean remove(String name) {
        return jdbc.transaction(tx -> remove(tx, name));
    }

    /** As {@link #remove(String)}, in the caller's transaction. */
    public boolean remove(Connection tx, String name) throws SQLException {
        int n;
        try (var del = Jdbc.prepare(tx, "delete from connection_points where name = ?", name)) {
            n = del.executeUpdate();
        }
        if (n > 0) {
            revisions.bump(tx, StateRevisions.CONNECTION_POINTS);
        }
        return n > 0;
    }

    private static Registration row(ResultSet rs) throws SQLException {
        return new Registration(
                rs.getString("name"),
                rs.getString("site"),
                rs.getString("thumbprint_sha256"),
                rs.getString("connection_id"),
                Jdbc.instant(rs, "registered_at"),
                rs.getString("registered_by"));
    }
}
