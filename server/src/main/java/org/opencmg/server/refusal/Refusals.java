package org.opencmg.server.refusal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts every refusal ({@code cmg_refusals_total{reason,status}}) and logs it with its reason, at
 * most {@link #LOG_LINES_PER_SECOND} lines a second per reason: a flood of one kind (an attacker's
 * connections, say) is counted in full but cannot fill the disk, and each second that dropped lines
 * ends with one line saying how many.
 */
public final class Refusals {

    private static final Logger LOG = LoggerFactory.getLogger("refusals");
    static final int LOG_LINES_PER_SECOND = 20;

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, LogBudget> budgets = new ConcurrentHashMap<>();

    /** Log lines left for one reason in the current second, and how many were dropped. */
    private static final class LogBudget {
        private long second = -1;
        private int used;
        private int dropped;

        /** -1: log this one; otherwise the lines dropped in the second that just ended (0 when none), to say once. */
        synchronized int take(long nowSecond) {
            if (nowSecond != second) {
                int droppedBefore = dropped;
                second = nowSecond;
                used = 1;
                dropped = 0;
                return droppedBefore > 0 ? droppedBefore : -1;
            }
            if (used < LOG_LINES_PER_SECOND) {
                used++;
                return -1;
            }
            dropped++;
            return 0;
        }
    }

    public Refusals(MeterRegistry registry) {
        this.registry = registry;
    }

    public void record(RequestRefused r, String method, String target, String remote, String device) {
        counters.computeIfAbsent(
                        r.status() + " " + r.reason(),
                        k -> Counter.builder("cmg_refusals")
                                .description("Requests refused, by reason")
                                .tag("reason", r.reason())
                                .tag("status", Integer.toString(r.status()))
                                .register(registry))
                .increment();
        int budget = budgets.computeIfAbsent(r.reason(), k -> new LogBudget()).take(System.currentTimeMillis() / 1000);
        if (budget == 0) {
            return;
        }
        if (budget > 0) {
            LOG.info(
                    "refused reason={}: {} more refusals with this reason were counted but not logged (over {} lines a second)",
                    r.reason(),
                    budget,
                    LOG_LINES_PER_SECOND);
        }
        LOG.info(
                "refused status={} reason={} method={} target=\"{}\" remote={} device=\"{}\" detail=\"{}\"",
                r.status(),
                r.reason(),
                clip(method),
                clip(target),
                remote,
                device,
                clip(r.detail()));
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
