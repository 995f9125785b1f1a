package org.opencmg.server.store;

import java.time.Instant;
import java.util.List;
import org.opencmg.api.Jdbc;

/** Traffic per endpoint per 5-minute window (table traffic); each instance adds to its own rows. */
public final class TrafficStore {

    public record Counts(long requests, long bytesIn, long bytesOut, long s2xx, long s3xx, long s4xx, long s5xx) {
        public Counts plus(Counts o) {
            return new Counts(
                    requests + o.requests,
                    bytesIn + o.bytesIn,
                    bytesOut + o.bytesOut,
                    s2xx + o.s2xx,
                    s3xx + o.s3xx,
                    s4xx + o.s4xx,
                    s5xx + o.s5xx);
        }
    }

    public record Row(Instant windowStart, String endpoint, Counts counts) {}

    private final Jdbc jdbc;

    public TrafficStore(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** Adds counts to this instance's row of a window, creating it if needed. */
    public void add(String instance, List<Row> rows) {
        jdbc.transaction(tx -> {
            for (Row r : rows) {
                Counts c = r.counts();
                int n;
                try (var up = Jdbc.prepare(
                        tx,
                        """
                        update traffic set requests = requests + ?, bytes_in = bytes_in + ?, bytes_out = bytes_out + ?,
                               status_2xx = status_2xx + ?, status_3xx = status_3xx + ?, status_4xx = status_4xx + ?,
                               status_5xx = status_5xx + ?
                        where window_start = ? and instance = ? and endpoint = ?""",
                        c.requests(),
                        c.bytesIn(),
                        c.bytesOut(),
                        c.s2xx(),
                        c.s3xx(),
                        c.s4xx(),
                        c.s5xx(),
                        r.windowStart(),
                        instance,
                        r.endpoint())) {
                    n = up.executeUpdate();
                }
                if (n == 0) {
                    try (var ins = Jdbc.prepare(
                            tx,
                            """
                            insert into traffic (window_start, instance, endpoint, requests, bytes_in, bytes_out,
                                                 status_2xx, status_3xx, status_4xx, status_5xx)
                            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                            r.windowStart(),
                            instance,
                            r.endpoint(),
                            c.requests(),
                            c.bytesIn(),
                            c.bytesOut(),
                            c.s2xx(),
                            c.s3xx(),
                            c.s4xx(),
                            c.s5xx())) {
                        ins.executeUpdate();
                    }
                }
            }
            return null;
        });
    }

    /** Windows since {@code from}, summed over all instances, newest first. */
    public List<Row> since(Instant from) {
        return jdbc.query(
                """
                select window_start, endpoint, sum(requests) r, sum(bytes_in) bi, sum(bytes_out) bo, sum(status_2xx) s2,
                       sum(status_3xx) s3, sum(status_4xx) s4, sum(status_5xx) s5
                from traffic where window_start >= ? group by window_start, endpoint order by window_start desc, endpoint""",
                rs -> new Row(
                        Jdbc.instant(rs, "window_start"),
                        rs.getString("endpoint"),
                        new Counts(
                                rs.getLong("r"),
                                rs.getLong("bi"),
                                rs.getLong("bo"),
                                rs.getLong("s2"),
                                rs.getLong("s3"),
                                rs.getLong("s4"),
                                rs.getLong("s5"))),
                from);
    }
}
