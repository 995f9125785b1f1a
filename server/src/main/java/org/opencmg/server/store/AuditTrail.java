package org.opencmg.server.store;

import java.time.Clock;
import java.util.List;
import org.opencmg.api.AuditLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The audit log (table audit_log): who changed what, when. Also written to the "audit" logger. */
public final class AuditTrail implements AuditLog {

    private static final Logger LOG = LoggerFactory.getLogger("audit");

    public record Entry(long id, java.time.Instant at, String actor, String action, String target, String detail) {
    }

    private final Jdbc jdbc;
    private final Clock clock;

    public AuditTrail(Jdbc jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    @Override
    public void record(String actor, String action, String target, String detail) {
        String d = detail == null ? "" : detail;
        jdbc.update("insert into audit_log (at, actor, action, target, detail) values (?, ?, ?, ?, ?)",
                clock.instant(), actor, action, target, d);
        LOG.info("actor={} action={} target=\"{}\" detail=\"{}\"", actor, action, target, d);
    }

    public List<Entry> recent(int limit) {
        return jdbc.query("select * from audit_log order by id desc limit ?", rs -> new Entry(rs.getLong("id"),
                Jdbc.instant(rs, "at"), rs.getString("actor"), rs.getString("action"), rs.getString("target"),
                rs.getString("detail")), limit);
    }
}
