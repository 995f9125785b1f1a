package org.opencmg.server.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.opencmg.api.Jdbc;

/**
 * Endpoint budgets (table quotas; a change bumps the "quotas" revision, so every instance reloads
 * them) and each instance's endpoint-wide use per window (table quota_use), which the instances
 * share every few seconds off the request path.
 */
public final class QuotaStore {

    public static final String TOPIC = "quotas";

    /** One instance's (or the other instances', summed) use of one endpoint in one window. */
    public record Use(
            String externalPathKey, Instant windowStart, Instant windowEnd, long requests, long egressBytes) {}

    private final Jdbc jdbc;
    private final StateRevisions revisions;

    public QuotaStore(Jdbc jdbc, StateRevisions revisions) {
        this.jdbc = jdbc;
        this.revisions = revisions;
    }

    public List<Quota> list() {
        return jdbc.query("select * from quotas order by external_path_key", QuotaStore::row);
    }

    public Optional<Quota> find(String externalPath) {
        return jdbc
                .query(
                        "select * from quotas where external_path_key = ?",
                        QuotaStore::row,
                        externalPath.toLowerCase(Locale.ROOT))
                .stream()
                .findFirst();
    }

    /** Sets (or replaces) the budgets of an endpoint. */
    public void put(Quota q) {
        jdbc.transaction(c -> {
            put(c, q);
            return null;
        });
    }

    /** As {@link #put(Quota)}, in the caller's transaction. */
    public void put(Connection c, Quota q) throws SQLException {
        try (var del = Jdbc.prepare(c, "delete from quotas where external_path_key = ?", q.externalPathKey())) {
            del.executeUpdate();
        }
        try (var ins = Jdbc.prepare(
                c,
                """
                insert into quotas (external_path_key, external_path, window_seconds, requests, egress_bytes, device_requests,
                                    device_egress_bytes, warn_percent, updated_at, updated_by)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                q.externalPathKey(),
                q.externalPath(),
                q.window().toSeconds(),
                q.requests(),
                q.egressBytes(),
                q.deviceRequests(),
                q.deviceEgressBytes(),
                q.warnPercent(),
                q.updatedAt(),
                q.updatedBy())) {
            ins.executeUpdate();
        }
        revisions.bump(c, TOPIC);
    }

    public boolean remove(String externalPath) {
        return jdbc.transaction(c -> remove(c, externalPath));
    }

    /** As {@link #remove(String)}, in the caller's transaction. */
    public boolean remove(Connection c, String externalPath) throws SQLException {
        int n;
        try (var del = Jdbc.prepare(
                c, "delete from quotas where external_path_key = ?", externalPath.toLowerCase(Locale.ROOT))) {
            n = del.executeUpdate();
        }
        if (n > 0) {
            revisions.bump(c, TOPIC);
        }
        return n > 0;
    }

    /**
     * Writes this instance's counts (what it let through so far in each window, not a delta: a
     * failed write is simply repeated by the next), forgets the windows that ended, and returns
     * the other instances' counts of the windows not ended yet, summed.
     */
    public List<Use> share(String instance, List<Use> mine, Instant now) {
        jdbc.transaction(c -> {
            for (Use u : mine) {
                int n;
                try (var up = Jdbc.prepare(
                        c, """
                        update quota_use set requests = ?, egress_bytes = ?
                        where window_start = ? and instance = ? and external_path_key = ?""", u.requests(), u.egressBytes(), u.windowStart(), instance, u.externalPathKey())) {
                    n = up.executeUpdate();
                }
                if (n == 0) {
                    try (var ins = Jdbc.prepare(
                            c,
                            """
                            insert into quota_use (window_start, instance, external_path_key, window_end, requests, egress_bytes)
                            values (?, ?, ?, ?, ?, ?)""",
                            u.windowStart(),
                            instance,
                            u.externalPathKey(),
                            u.windowEnd(),
                            u.requests(),
                            u.egressBytes())) {
                        ins.executeUpdate();
                    }
                }
            }
            // Any instance clears ended windows, its own and those of instances that are gone for good.
            try (var old =
                    Jdbc.prepare(c, "delete from quota_use where window_end < ?", now.minus(Duration.ofMinutes(1)))) {
                old.executeUpdate();
            }
            return null;
        });
        return jdbc.query(
                """
                select external_path_key, window_start, max(window_end) we, sum(requests) r, sum(egress_bytes) b from quota_use
                where instance <> ? and window_end > ? group by external_path_key, window_start""",
                rs -> new Use(
                        rs.getString("external_path_key"),
                        Jdbc.instant(rs, "window_start"),
                        Jdbc.instant(rs, "we"),
                        rs.getLong("r"),
                        rs.getLong("b")),
                instance,
                now);
    }

    /** This instance's own counts of the windows not ended yet (what it had written before a restart). */
    public List<Use> own(String instance, Instant now) {
        return jdbc.query(
                """
                select external_path_key, window_start, window_end, requests, egress_bytes from quota_use
                where instance = ? and window_end > ?""",
                rs -> new Use(
                        rs.getString("external_path_key"),
                        Jdbc.instant(rs, "window_start"),
                        Jdbc.instant(rs, "window_end"),
                        rs.getLong("requests"),
                        rs.getLong("egress_bytes")),
                instance,
                now);
    }

    private static Quota row(ResultSet rs) throws SQLException {
        return new Quota(
                rs.getString("external_path"),
                Duration.ofSeconds(rs.getLong("window_seconds")),
                nullable(rs, "requests"),
                nullable(rs, "egress_bytes"),
                nullable(rs, "device_requests"),
                nullable(rs, "device_egress_bytes"),
                rs.getInt("warn_percent"),
                Jdbc.instant(rs, "updated_at"),
                rs.getString("updated_by"));
    }

    private static Long nullable(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }
}
