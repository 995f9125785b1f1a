package org.opencmg.server.channel;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.opencmg.server.store.TrafficStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts traffic per endpoint in 5-minute windows (requests, bytes in and out, answers by status
 * class) and adds it to the store every 10 seconds and when the gateway stops, so a clean restart
 * loses nothing.
 */
public final class TrafficMeter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TrafficMeter.class);
    public static final long WINDOW_SECONDS = 300;

    private record Key(Instant window, String endpoint) {}

    /** Changed only inside {@code current.compute}, which also makes flushing race-free. */
    private static final class Counters {
        long requests;
        long in;
        long out;
        final long[] byClass = new long[4];

        void add(long r, long i, long o, long[] classes) {
            requests += r;
            in += i;
            out += o;
            for (int k = 0; k < 4; k++) {
                byClass[k] += classes[k];
            }
        }
    }

    private final String instance;
    private final TrafficStore store;
    private final Clock clock;
    private final Map<Key, Counters> current = new ConcurrentHashMap<>();
    private final ScheduledExecutorService flusher = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("traffic-flush").factory());

    private final MeterRegistry meters;

    public TrafficMeter(String instance, TrafficStore store, Clock clock, MeterRegistry meters) {
        this.meters = meters;
        this.instance = instance;
        this.store = store;
        this.clock = clock;
        flusher.scheduleWithFixedDelay(this::flush, 10, 10, TimeUnit.SECONDS);
    }

    public void record(String endpoint, long bytesIn, long bytesOut, int status) {
        long epoch = clock.instant().getEpochSecond();
        var key = new Key(Instant.ofEpochSecond(epoch - Math.floorMod(epoch, WINDOW_SECONDS)), endpoint);
        long[] classes = new long[4];
        int cls = status / 100 - 2;
        if (cls >= 0 && cls < 4) {
            classes[cls] = 1;
        }
        add(key, 1, bytesIn, bytesOut, classes);
        String statusClass = status / 100 + "xx";
        meters.counter("cmg_endpoint_requests", "endpoint", endpoint, "status", statusClass)
                .increment();
        meters.counter("cmg_endpoint_bytes", "endpoint", endpoint, "direction", "in")
                .increment(bytesIn);
        meters.counter("cmg_endpoint_bytes", "endpoint", endpoint, "direction", "out")
                .increment(bytesOut);
    }

    private void add(Key key, long requests, long in, long out, long[] classes) {
        current.compute(key, (k, c) -> {
            Counters counters = c == null ? new Counters() : c;
            counters.add(requests, in, out, classes);
            return counters;
        });
    }

    /** Moves what was counted so far into the store. */
    public synchronized void flush() {
        var rows = new ArrayList<TrafficStore.Row>();
        for (Key k : new ArrayList<>(current.keySet())) {
            Counters c = current.remove(k);
            if (c != null) {
                rows.add(new TrafficStore.Row(
                        k.window(),
                        k.endpoint(),
                        new TrafficStore.Counts(
                                c.requests, c.in, c.out, c.byClass[0], c.byClass[1], c.byClass[2], c.byClass[3])));
            }
        }
        if (rows.isEmpty()) {
            return;
        }
        try {
            store.add(instance, rows);
        } catch (RuntimeException e) {
            LOG.warn("traffic not stored yet, will retry: {}", e.getMessage());
            for (var r : rows) { // put the counts back for the next flush
                var c = r.counts();
                add(new Key(r.windowStart(), r.endpoint()), c.requests(), c.bytesIn(), c.bytesOut(), new long[] {
                    c.s2xx(), c.s3xx(), c.s4xx(), c.s5xx()
                });
            }
        }
    }

    @Override
    public void close() {
        flusher.shutdownNow();
        flush();
    }
}
