package org.opencmg.server.store;

import java.time.Instant;
import java.util.List;
import org.opencmg.api.Jdbc;

/** How each gateway instance sees each connection point's channel (table channel_status). */
public final class ChannelStatusStore {

    public record ChannelStatus(
            String instance,
            String connectionPoint,
            String site,
            String state,
            Instant since,
            Instant lastHeartbeat,
            Long rttMicros,
            String remoteAddress,
            Instant updatedAt) {}

    private final Jdbc jdbc;

    public ChannelStatusStore(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    public void put(ChannelStatus s) {
        jdbc.transaction(tx -> {
            try (var del = Jdbc.prepare(
                            tx,
                            "delete from channel_status where instance = ? and connection_point = ?",
                            s.instance(),
                            s.connectionPoint());
                    var ins = Jdbc.prepare(
                            tx,
                            """
                         insert into channel_status (instance, connection_point, site, state, since, last_heartbeat,
                                                     rtt_micros, remote_address, updated_at)
                         values (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                            s.instance(),
                            s.connectionPoint(),
                            s.site(),
                            s.state(),
                            s.since(),
                            s.lastHeartbeat(),
                            s.rttMicros(),
                            s.remoteAddress(),
                            s.updatedAt())) {
                del.executeUpdate();
                ins.executeUpdate();
            }
            return null;
        });
    }

    public List<ChannelStatus> list() {
        return jdbc.query(
                "select * from channel_status order by connection_point, instance",
                rs -> new ChannelStatus(
                        rs.getString("instance"),
                        rs.getString("connection_point"),
                        rs.getString("site"),
                        rs.getString("state"),
                        Jdbc.instant(rs, "since"),
                        Jdbc.instant(rs, "last_heartbeat"),
                        rs.getObject("rtt_micros") == null ? null : rs.getLong("rtt_micros"),
                        rs.getString("remote_address"),
                        Jdbc.instant(rs, "updated_at")));
    }
}
