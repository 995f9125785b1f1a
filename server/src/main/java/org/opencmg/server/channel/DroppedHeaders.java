package org.opencmg.server.channel;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.opencmg.channel.HeaderPolicy;

/**
 * Counts the request headers devices sent that no rule let through to a site, by name
 * ({@code cmg_request_headers_dropped_total{header}}), so an administrator sees what the site never
 * gets. Never a value. The label's cardinality is bounded whatever devices send: names are lower
 * case, at most {@value #MAX_NAMES} distinct names are counted by name (the first ones seen, in
 * this instance's life), any further name, or one longer than {@value #MAX_NAME_LENGTH} characters
 * or not an HTTP token, under {@code header="other"}.
 */
public final class DroppedHeaders implements HeaderPolicy.Drops {

    static final int MAX_NAMES = 100;
    static final int MAX_NAME_LENGTH = 64;
    public static final String OTHER = "other";

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Counter other;

    public DroppedHeaders(MeterRegistry registry) {
        this.registry = registry;
        this.other = counter(OTHER);
    }

    @Override
    public void dropped(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        Counter c = counters.get(n);
        if (c == null) {
            c = n.length() > MAX_NAME_LENGTH || !HeaderPolicy.isToken(n) || n.equals(OTHER) ? other : named(n);
        }
        c.increment();
    }

    private synchronized Counter named(String n) {
        Counter c = counters.get(n);
        if (c != null) {
            return c;
        }
        if (counters.size() >= MAX_NAMES) {
            return other;
        }
        c = counter(n);
        counters.put(n, c);
        return c;
    }

    private Counter counter(String label) {
        return Counter.builder("cmg_request_headers_dropped")
                .description("Request headers devices sent that no rule let through to the site, by lower-case name "
                        + "(at most " + MAX_NAMES + " names; the rest under \"other\")")
                .tag("header", label)
                .register(registry);
    }

    /** Counts by name, largest first ({@value #OTHER} included when not zero): for the status. */
    public Map<String, Long> counts() {
        var all = new LinkedHashMap<String, Long>();
        counters.forEach((k, c) -> all.put(k, (long) c.count()));
        if (other.count() > 0) {
            all.put(OTHER, (long) other.count());
        }
        var out = new LinkedHashMap<String, Long>();
        all.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
                        .thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }
}
