package org.opencmg.server.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.opencmg.api.Endpoint;
import org.opencmg.api.Jdbc;

/** The published URL mappings (table endpoints). */
public final class EndpointStore {

    private final Jdbc jdbc;
    private final StateRevisions revisions;

    public EndpointStore(Jdbc jdbc, StateRevisions revisions) {
        this.jdbc = jdbc;
        this.revisions = revisions;
    }

    public List<PublishedEndpoint> list() {
        return jdbc.query("select * from endpoints order by external_path_key", EndpointStore::row);
    }

    public Optional<PublishedEndpoint> find(String externalPath) {
        return jdbc
                .query(
                        "select * from endpoints where external_path_key = ?",
                        EndpointStore::row,
                        externalPath.toLowerCase(Locale.ROOT))
                .stream()
                .findFirst();
    }

    /** Inserts or replaces the mapping with the same external path (case-insensitive). */
    public void publish(PublishedEndpoint p) {
        jdbc.transaction(c -> {
            publish(c, p);
            return null;
        });
    }

    /** As {@link #publish(PublishedEndpoint)}, in the caller's transaction. */
    public void publish(Connection c, PublishedEndpoint p) throws SQLException {
        Endpoint e = p.endpoint();
        try (var del = Jdbc.prepare(c, "delete from endpoints where external_path_key = ?", p.externalPathKey())) {
            del.executeUpdate();
        }
        try (var ins = Jdbc.prepare(
                c,
                """
                insert into endpoints (external_path_key, external_path, name, internal_url, site, methods,
                                       auth_methods, max_request_bytes, role_kind, role_id, published_at, published_by)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                p.externalPathKey(),
                e.externalPath(),
                e.name(),
                e.internalUrl(),
                p.site(),
                String.join(",", e.methods()),
                String.join(",", e.authMethods()),
                e.maxRequestBytes(),
                p.roleKind(),
                p.roleId(),
                p.publishedAt(),
                p.publishedBy())) {
            ins.executeUpdate();
        }
        revisions.bump(c, StateRevisions.ENDPOINTS);
    }

    /** Removes every endpoint published for a role ID; returns how many. */
    public int unpublishRole(String roleId) {
        return jdbc.transaction(c -> {
            int n;
            try (var del = Jdbc.prepare(c, "delete from endpoints where role_id = ?", roleId)) {
                n = del.executeUpdate();
            }
            if (n > 0) {
                revisions.bump(c, StateRevisions.ENDPOINTS);
            }
            return n;
        });
    }

    public boolean unpublish(String externalPath) {
        return jdbc.transaction(c -> unpublish(c, externalPath));
    }

    /** As {@link #unpublish(String)}, in the caller's transaction. */
    public boolean unpublish(Connection c, String externalPath) throws SQLException {
        int n;
        try (var del = Jdbc.prepare(
                c, "delete from endpoints where external_path_key = ?", externalPath.toLowerCase(Locale.ROOT))) {
            n = del.executeUpdate();
        }
        if (n > 0) {
            revisions.bump(c, StateRevisions.ENDPOINTS);
        }
        return n > 0;
    }

    private static PublishedEndpoint row(ResultSet rs) throws SQLException {
        var endpoint = new Endpoint(
                rs.getString("name"),
                rs.getString("external_path"),
                rs.getString("internal_url"),
                csv(rs.getString("methods")),
                rs.getLong("max_request_bytes"),
                csv(rs.getString("auth_methods")));
        return new PublishedEndpoint(
                endpoint,
                rs.getString("site"),
                rs.getString("role_kind"),
                rs.getString("role_id"),
                Jdbc.instant(rs, "published_at"),
                rs.getString("published_by"));
    }

    private static Set<String> csv(String s) {
        var out = new LinkedHashSet<String>();
        Arrays.stream(s.split(",")).map(String::strip).filter(x -> !x.isEmpty()).forEach(out::add);
        return out;
    }
}
