package org.opencmg.server.store;

import java.time.Instant;
import java.util.List;
import org.opencmg.api.Jdbc;

/** The gateway instances sharing this store (table gateway_instances); each one writes only its own row. */
public final class GatewayInstanceStore {

    /**
     * @param channelUrl null when the instance does not advertise one; stoppedAt null unless it stopped cleanly
     * @param adminUrl   where its admin API answers (for cmg analyze), or null
     */
    public record InstanceRow(
            String instance,
            String channelUrl,
            String version,
            Instant startedAt,
            Instant heartbeatAt,
            Instant stoppedAt,
            String adminUrl) {}

    private final Jdbc jdbc;

    public GatewayInstanceStore(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** This instance is alive (a restart under the same name takes over its row). */
    public void beat(InstanceRow row) {
        jdbc.transaction(tx -> {
            try (var update = Jdbc.prepare(
                    tx,
                    """
                    update gateway_instances set channel_url = ?, version = ?, started_at = ?, heartbeat_at = ?,
                                                 stopped_at = null, admin_url = ?
                    where instance = ?""",
                    row.channelUrl(),
                    row.version(),
                    row.startedAt(),
                    row.heartbeatAt(),
                    row.adminUrl(),
                    row.instance())) {
                if (update.executeUpdate() > 0) {
                    return null;
                }
            }
            try (var insert = Jdbc.prepare(
                    tx,
                    """
                    insert into gateway_instances (instance, channel_url, version, started_at, heartbeat_at, admin_url)
                    values (?, ?, ?, ?, ?, ?)""",
                    row.instance(),
                    row.channelUrl(),
                    row.version(),
                    row.startedAt(),
                    row.heartbeatAt(),
                    row.adminUrl())) {
                insert.executeUpdate();
            }
            return null;
        });
    }

    /** This instance stopped cleanly: shown as stopped, not gone, and no longer advertised. */
    public void stopped(String instance, Instant at) {
        jdbc.update("update gateway_instances set stopped_at = ? where instance = ?", at, instance);
    }

    public List<InstanceRow> list() {
        return jdbc.query(
                "select * from gateway_instances order by instance",
                rs -> new InstanceRow(
                        rs.getString("instance"),
                        rs.getString("channel_url"),
                        rs.getString("version"),
                        Jdbc.instant(rs, "started_at"),
                        Jdbc.instant(rs, "heartbeat_at"),
                        Jdbc.instant(rs, "stopped_at"),
                        rs.getString("admin_url")));
    }

    /** Forgets instances not heard of since {@code before} (stopped or gone long ago); returns how many. */
    public int forget(Instant before) {
        return jdbc.update("delete from gateway_instances where heartbeat_at < ?", before);
    }
}
