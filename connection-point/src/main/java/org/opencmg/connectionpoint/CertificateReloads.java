package org.opencmg.connectionpoint;

import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;
import org.opencmg.pki.CertificateReloader;

/**
 * {@code cmg_cp_certificate_reloads_total{identity,outcome}}: the point's renewed certificates put in
 * service ({@code reloaded}) or refused (the reason), every outcome present from the start at 0.
 */
final class CertificateReloads implements CertificateReloader.Outcomes {

    private record Key(String identity, String outcome) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = identity.compareTo(o.identity);
            return c != 0 ? c : outcome.compareTo(o.outcome);
        }
    }

    private final Map<Key, LongAdder> counts = new ConcurrentSkipListMap<>();

    CertificateReloads(String... identities) {
        for (String identity : identities) {
            counts.put(new Key(identity, CertificateReloader.RELOADED), new LongAdder());
            CertificateReloader.REFUSALS.forEach(reason -> counts.put(new Key(identity, reason), new LongAdder()));
        }
    }

    @Override
    public void count(String identity, String outcome) {
        counts.computeIfAbsent(new Key(identity, outcome), k -> new LongAdder()).increment();
    }

    /** Appends the counter family in Prometheus' text format. */
    void appendTo(StringBuilder out) {
        out.append(
                        "# HELP cmg_cp_certificate_reloads_total Renewed certificates put in service (outcome reloaded) or refused (the reason)\n")
                .append("# TYPE cmg_cp_certificate_reloads_total counter\n");
        counts.forEach((k, n) -> out.append("cmg_cp_certificate_reloads_total{identity=\"")
                .append(MonitorHandler.label(k.identity))
                .append("\",outcome=\"")
                .append(k.outcome)
                .append("\"} ")
                .append(n.sum())
                .append('\n'));
    }
}
