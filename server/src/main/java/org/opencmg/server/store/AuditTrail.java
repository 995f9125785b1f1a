package org.opencmg.server.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.opencmg.api.AuditLog;
import org.opencmg.api.Jdbc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The audit log (table audit_log): who changed what, when. Also written to the "audit" logger. */
public final class AuditTrail implements AuditLog {

    private static final Logger LOG = LoggerFactory.getLogger("audit");

    public record Entry(long id, Instant at, String actor, String action, String target, String detail) {}

    private final Jdbc jdbc;
    private final Clock clock;

    public AuditTrail(Jdbc jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    @Override
    public void record(String actor, String action, String target, String detail) {
        jdbc.transaction(c -> {
            record(c, actor, action, target, detail);
            return null;
        });
    }

    /** As {@link #record}, in the caller's transaction: the entry is stored only if the change it describes is. */
    public void record(Connection c, String actor, String action, String target, String detail) throws SQLException {
        String d = detail == null ? "" : detail;
        try (var ins = Jdbc.prepare(
                c,
                "insert into audit_log (at, actor, action, target, detail) values (?, ?, ?, ?, ?)",
                clock.instant(),
                actor,
                action,
                target,
                d)) {
            ins.executeUpdate();
        }
        LOG.info("actor={} action={} target=\"{}\" detail=\"{}\"", actor, action, target, d);
    }

    /**
     * Entries matching every given filter (null or blank: any), newest first: exact actor, action
     * prefix, time range [from, to), and text contained in the target or detail (case-insensitive).
     */
    public List<Entry> search(String actor, String action, Instant from, Instant to, String text, int limit) {
        var where = new StringBuilder("1 = 1");
        var args = new ArrayList<Object>();
        if (actor != null && !actor.isBlank()) {
            where.append(" and actor = ?");
            args.add(actor.strip());
        }
        if (action != null && !action.isBlank()) {
            where.append(" and action like ? escape '\\'");
            args.add(likeEscape(action.strip()) + "%");
        }
        if (from != null) {
            where.append(" and at >= ?");
            args.add(from);
        }
        if (to != null) {
            where.append(" and at < ?");
            args.add(to);
        }
        if (text != null && !text.isBlank()) {
            where.append(" and (lower(target) like ? escape '\\' or lower(detail) like ? escape '\\')");
            String t = "%" + likeEscape(text.strip().toLowerCase(Locale.ROOT)) + "%";
            args.add(t);
            args.add(t);
        }
        args.add(limit);
        return jdbc.query(
                "select * from audit_log where " + where + " order by id desc limit ?",
                AuditTrail::entry,
                args.toArray());
    }

    private static String likeEscape(String s) {
        return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }

    private static Entry entry(ResultSet rs) throws SQLException {
        return new Entry(
                rs.getLong("id"),
                Jdbc.instant(rs, "at"),
                rs.getString("actor"),
                rs.getString("action"),
                rs.getString("target"),
                rs.getString("detail"));
    }

    public List<Entry> recent(int limit) {
        return jdbc.query(
                "select * from audit_log order by id desc limit ?",
                rs -> new Entry(
                        rs.getLong("id"),
                        Jdbc.instant(rs, "at"),
                        rs.getString("actor"),
                        rs.getString("action"),
                        rs.getString("target"),
                        rs.getString("detail")),
                limit);
    }
}
