package org.opencmg.server.pipeline;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs every refusal with its reason and counts it ({@code cmg_refusals_total{reason,status}}). */
public final class Refusals {

    private static final Logger LOG = LoggerFactory.getLogger("refusals");

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public Refusals(MeterRegistry registry) {
        this.registry = registry;
    }

    public void record(RequestRefused r, String method, String target, String remote, String device) {
        counters.computeIfAbsent(r.status() + " " + r.reason(), k -> Counter.builder("cmg_refusals")
                .description("Requests refused, by reason")
                .tag("reason", r.reason()).tag("status", Integer.toString(r.status()))
                .register(registry)).increment();
        LOG.info("refused status={} reason={} method={} target=\"{}\" remote={} device=\"{}\" detail=\"{}\"",
                r.status(), r.reason(), clip(method), clip(target), remote, device, clip(r.detail()));
    }

    /** Counts by "status reason", for status pages and tests. */
    public Map<String, Long> counts() {
        var out = new TreeMap<String, Long>();
        counters.forEach((k, c) -> out.put(k, (long) c.count()));
        return out;
    }

    /** Log lines stay single-line and bounded whatever a client sends. */
    private static String clip(String s) {
        if (s == null) {
            return "";
        }
        var sb = new StringBuilder(Math.min(s.length(), 200));
        for (int i = 0; i < s.length() && sb.length() < 200; i++) {
            char c = s.charAt(i);
            sb.append(c < 0x20 || c == 0x7f || c == '"' ? '?' : c);
        }
        return sb.toString();
    }
}
