package org.opencmg.server.pipeline;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.opencmg.api.Device;
import org.opencmg.api.Refusal;
import org.opencmg.server.refusal.RequestRefused;
import org.opencmg.server.store.PublishedEndpoint;
import org.opencmg.server.store.Quota;
import org.opencmg.server.store.QuotaStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Step 3d: an endpoint's budgets ({@link Quota}). A request over its device's budget on that
 * endpoint is {@code 429 device_quota_exceeded}, over the endpoint's {@code 429 quota_exceeded},
 * both with {@code Retry-After} (seconds to the window's end); every other endpoint, and every
 * other device, is untouched. Only requests let through count; egress (the bytes of the answer)
 * is counted as it is written to the device, so an answer in flight is never cut: the next
 * request is refused. At the warning threshold a budget is counted once per window in
 * {@code cmg_quota_warnings_total} and logged; {@code cmg_quota_use_ratio} shows the use.
 * <p>
 * Counting is in memory, never in the store. Endpoint-wide counts are shared between instances
 * through {@link #localUse()} and {@link #othersUse} (a few seconds behind); per-device counts
 * are this instance's only, in a cache of at most {@link #MAX_TRACKED_DEVICES} devices that keeps
 * the busiest (Caffeine's frequency-based eviction), so forged or one-off device names cannot grow
 * the heap and cannot push a looping device out.
 */
public final class QuotaStep {

    private static final Logger LOG = LoggerFactory.getLogger(QuotaStep.class);
    public static final int MAX_TRACKED_DEVICES = 100_000;

    /** The four budgets, as named in metrics, the API and refusals. */
    public enum Budget {
        REQUESTS("requests"),
        EGRESS_BYTES("egress_bytes"),
        DEVICE_REQUESTS("device_requests"),
        DEVICE_EGRESS_BYTES("device_egress_bytes");

        public final String label;

        Budget(String label) {
            this.label = label;
        }

        Long limit(Quota q) {
            return switch (this) {
                case REQUESTS -> q.requests();
                case EGRESS_BYTES -> q.egressBytes();
                case DEVICE_REQUESTS -> q.deviceRequests();
                case DEVICE_EGRESS_BYTES -> q.deviceEgressBytes();
            };
        }
    }

    /** An endpoint's use in its current window, as this instance knows it (the others' included). */
    public record Use(
            Quota quota,
            Instant windowStart,
            Instant windowEnd,
            long requests,
            long egressBytes,
            long busiestDeviceRequests,
            long busiestDeviceEgressBytes) {

        /** Use of a budget against its limit (0 without that budget; 1 or more: exhausted). */
        public double ratio(Budget b) {
            Long limit = b.limit(quota);
            if (limit == null) {
                return 0;
            }
            long used = switch (b) {
                case REQUESTS -> requests;
                case EGRESS_BYTES -> egressBytes;
                case DEVICE_REQUESTS -> busiestDeviceRequests;
                case DEVICE_EGRESS_BYTES -> busiestDeviceEgressBytes;
            };
            return limit == 0 ? 1 : (double) used / limit;
        }
    }

    /** One budgeted endpoint's counts on this instance; guarded by itself. */
    private static final class EndpointUse {
        final Quota quota;
        long windowStart = Long.MIN_VALUE;
        long requests;
        long egress;
        long busiestRequests;
        long busiestEgress;
        final boolean[] warned = new boolean[Budget.values().length];
        boolean deviceWarningLogged;
        /** The other instances' counts of one window (null: none seen). */
        volatile QuotaStore.Use others;

        EndpointUse(Quota quota) {
            this.quota = quota;
        }

        void roll(long start) {
            if (start != windowStart) {
                windowStart = start;
                requests = 0;
                egress = 0;
                busiestRequests = 0;
                busiestEgress = 0;
                Arrays.fill(warned, false);
                deviceWarningLogged = false;
            }
        }

        long otherRequests(long start) {
            var o = others;
            return o != null && o.windowStart().getEpochSecond() == start ? o.requests() : 0;
        }

        long otherEgress(long start) {
            var o = others;
            return o != null && o.windowStart().getEpochSecond() == start ? o.egressBytes() : 0;
        }
    }

    /** One device's counts on one endpoint; guarded by its endpoint's {@link EndpointUse}. */
    private static final class DeviceUse {
        long windowStart = Long.MIN_VALUE;
        long requests;
        long egress;
        boolean warnedRequests;
        boolean warnedEgress;

        void roll(long start) {
            if (start != windowStart) {
                windowStart = start;
                requests = 0;
                egress = 0;
                warnedRequests = false;
                warnedEgress = false;
            }
        }
    }

    private record DeviceKey(String endpoint, String device) {}

    private final Clock clock;
    private final MeterRegistry meters;
    private final Cache<DeviceKey, DeviceUse> devices;
    private volatile Map<String, EndpointUse> byEndpoint = Map.of();
    private final Map<String, List<Meter>> gauges = new HashMap<>();
    private final Map<String, Counter> warnings = new ConcurrentHashMap<>();

    public QuotaStep(Clock clock, MeterRegistry meters) {
        this(clock, meters, MAX_TRACKED_DEVICES);
    }

    /** @param maxDevices how many (endpoint, device) counters are kept at most */
    public QuotaStep(Clock clock, MeterRegistry meters, int maxDevices) {
        this.clock = clock;
        this.meters = meters;
        this.devices = Caffeine.newBuilder()
                .maximumSize(maxDevices)
                .executor(Runnable::run)
                .build();
    }

    /**
     * The budgets in force from now on (after every change in the store). An endpoint whose window
     * stays the same keeps what it counted so far.
     */
    public synchronized void apply(List<Quota> quotas) {
        var old = byEndpoint;
        var next = new HashMap<String, EndpointUse>();
        for (Quota q : quotas) {
            var use = new EndpointUse(q);
            var before = old.get(q.externalPathKey());
            if (before != null && before.quota.window().equals(q.window())) {
                synchronized (before) {
                    use.windowStart = before.windowStart;
                    use.requests = before.requests;
                    use.egress = before.egress;
                    use.busiestRequests = before.busiestRequests;
                    use.busiestEgress = before.busiestEgress;
                    use.others = before.others;
                }
            }
            next.put(q.externalPathKey(), use);
        }
        byEndpoint = Map.copyOf(next);
        gauges.values().forEach(list -> list.forEach(meters::remove));
        gauges.clear();
        for (var use : next.values()) {
            var list = new ArrayList<Meter>();
            String endpoint = use.quota.externalPath();
            for (Budget b : Budget.values()) {
                if (b.limit(use.quota) != null) {
                    list.add(Gauge.builder(
                                    "cmg_quota_use_ratio",
                                    this,
                                    s -> s.use(endpoint).map(u -> u.ratio(b)).orElse(0.0))
                            .description(
                                    "Use of an endpoint's budget in its current window (1: exhausted, refused with 429);"
                                            + " device budgets: the busiest device on this instance")
                            .tag("endpoint", endpoint)
                            .tag("budget", b.label)
                            .register(meters));
                }
            }
            list.add(Gauge.builder("cmg_quota_warn_ratio", use.quota, q -> q.warnPercent() / 100.0)
                    .description("The use ratio at which an endpoint's budgets warn")
                    .tag("endpoint", endpoint)
                    .strongReference(true)
                    .register(meters));
            gauges.put(use.quota.externalPathKey(), list);
        }
    }

    /** What a request let through carries on: its egress is counted against the budgets as its answer is written. */
    public interface Admitted {
        /** Counts {@code bytes} of the answer as sent to the device. */
        void countEgress(long bytes);

        /** The response to write the answer to, counting what goes through it. */
        default Response meter(Request request, Response response) {
            return new Response.Wrapper(request, response) {
                @Override
                public void write(boolean last, ByteBuffer content, Callback callback) {
                    if (content != null && content.hasRemaining()) {
                        countEgress(content.remaining());
                    }
                    super.write(last, content, callback);
                }
            };
        }
    }

    /** An endpoint without budgets: nothing is counted, the response is not wrapped. */
    private static final Admitted UNBUDGETED = new Admitted() {
        @Override
        public void countEgress(long bytes) {}

        @Override
        public Response meter(Request request, Response response) {
            return response;
        }
    };

    /**
     * Counts the request against the endpoint's budgets, or refuses it (429, nothing counted).
     * An endpoint without budgets is not counted at all.
     */
    public Admitted admit(PublishedEndpoint endpoint, Device device) {
        var e = byEndpoint.get(endpoint.externalPathKey());
        if (e == null) {
            return UNBUDGETED;
        }
        long now = clock.instant().getEpochSecond();
        long start = e.quota.windowStart(now);
        DeviceUse d = hasDeviceBudget(e.quota)
                ? devices.get(new DeviceKey(e.quota.externalPathKey(), deviceName(device)), k -> new DeviceUse())
                : null;
        synchronized (e) {
            e.roll(start);
            if (d != null) {
                d.roll(start);
            }
            check(e, d, device, start, now);
            e.requests++;
            warnIfCrossed(e, Budget.REQUESTS, e.requests + e.otherRequests(start));
            if (d != null) {
                d.requests++;
                e.busiestRequests = Math.max(e.busiestRequests, d.requests);
                if (!d.warnedRequests && crossed(e.quota, Budget.DEVICE_REQUESTS, d.requests)) {
                    d.warnedRequests = true;
                    deviceWarning(e, Budget.DEVICE_REQUESTS, device, d.requests);
                }
            }
        }
        return bytes -> egress(e, d, device, bytes);
    }

    /** The refusal this request would meet now, counting nothing (for {@code cmg explain}). */
    public Optional<RequestRefused> wouldRefuse(PublishedEndpoint endpoint, Device device) {
        var e = byEndpoint.get(endpoint.externalPathKey());
        if (e == null) {
            return Optional.empty();
        }
        long now = clock.instant().getEpochSecond();
        long start = e.quota.windowStart(now);
        DeviceUse d = hasDeviceBudget(e.quota)
                ? devices.getIfPresent(new DeviceKey(e.quota.externalPathKey(), deviceName(device)))
                : null;
        synchronized (e) {
            e.roll(start);
            if (d != null) {
                d.roll(start);
            }
            try {
                check(e, d, device, start, now);
                return Optional.empty();
            } catch (RequestRefused r) {
                return Optional.of(r);
            }
        }
    }

    private void check(EndpointUse e, DeviceUse d, Device device, long start, long now) {
        Quota q = e.quota;
        if (d != null) {
            if (q.deviceRequests() != null && d.requests >= q.deviceRequests()) {
                throw refused(
                        Refusal.DEVICE_QUOTA_EXCEEDED,
                        "device " + deviceName(device) + ": " + d.requests + " of " + q.deviceRequests() + " requests",
                        q,
                        start,
                        now);
            }
            if (q.deviceEgressBytes() != null && d.egress >= q.deviceEgressBytes()) {
                throw refused(
                        Refusal.DEVICE_QUOTA_EXCEEDED,
                        "device " + deviceName(device) + ": " + d.egress + " of " + q.deviceEgressBytes()
                                + " egress bytes",
                        q,
                        start,
                        now);
            }
        }
        long requests = e.requests + e.otherRequests(start);
        if (q.requests() != null && requests >= q.requests()) {
            throw refused(Refusal.QUOTA_EXCEEDED, requests + " of " + q.requests() + " requests", q, start, now);
        }
        long egress = e.egress + e.otherEgress(start);
        if (q.egressBytes() != null && egress >= q.egressBytes()) {
            throw refused(Refusal.QUOTA_EXCEEDED, egress + " of " + q.egressBytes() + " egress bytes", q, start, now);
        }
    }

    private static RequestRefused refused(Refusal reason, String used, Quota q, long start, long now) {
        long retryAfter = Math.max(1, start + q.window().toSeconds() - now);
        return new RequestRefused(
                reason,
                used + " in the " + Quota.formatWindow(q.window()) + " window of " + q.externalPath() + ", retry in "
                        + retryAfter + " s",
                Map.of("Retry-After", Long.toString(retryAfter)));
    }

    private void egress(EndpointUse e, DeviceUse d, Device device, long n) {
        long start = e.quota.windowStart(clock.instant().getEpochSecond());
        synchronized (e) {
            e.roll(start); // an answer that streams on into the next window counts there
            e.egress += n;
            warnIfCrossed(e, Budget.EGRESS_BYTES, e.egress + e.otherEgress(start));
            if (d != null) {
                d.roll(start);
                d.egress += n;
                e.busiestEgress = Math.max(e.busiestEgress, d.egress);
                if (!d.warnedEgress && crossed(e.quota, Budget.DEVICE_EGRESS_BYTES, d.egress)) {
                    d.warnedEgress = true;
                    deviceWarning(e, Budget.DEVICE_EGRESS_BYTES, device, d.egress);
                }
            }
        }
    }

    private static boolean crossed(Quota q, Budget b, long used) {
        Long limit = b.limit(q);
        return limit != null && used * 100 >= (double) limit * q.warnPercent();
    }

    /** Called holding {@code e}: the endpoint-wide budget's warning, once per window. */
    private void warnIfCrossed(EndpointUse e, Budget b, long used) {
        if (!e.warned[b.ordinal()] && crossed(e.quota, b, used)) {
            e.warned[b.ordinal()] = true;
            warningCounter(e.quota.externalPath(), b).increment();
            LOG.warn(
                    "quota warning: {} used {} of its {} budget of {} in the current {} window (warning at {}%)",
                    e.quota.externalPath(),
                    used,
                    b.label,
                    b.limit(e.quota),
                    Quota.formatWindow(e.quota.window()),
                    e.quota.warnPercent());
        }
    }

    /** Called holding {@code e}: every device's warning is counted, the first of a window on an endpoint logged. */
    private void deviceWarning(EndpointUse e, Budget b, Device device, long used) {
        warningCounter(e.quota.externalPath(), b).increment();
        if (!e.deviceWarningLogged) {
            e.deviceWarningLogged = true;
            LOG.warn(
                    "quota warning: device {} used {} of its {} budget of {} on {} in the current {} window (warning at {}%;"
                            + " other devices' warnings of this window are counted in cmg_quota_warnings_total only)",
                    deviceName(device),
                    used,
                    b.label,
                    b.limit(e.quota),
                    e.quota.externalPath(),
                    Quota.formatWindow(e.quota.window()),
                    e.quota.warnPercent());
        }
    }

    private Counter warningCounter(String endpoint, Budget b) {
        return warnings.computeIfAbsent(
                endpoint + " " + b.label,
                k -> Counter.builder("cmg_quota_warnings")
                        .description(
                                "Budgets that reached their warning threshold, once per window (device budgets: per device)")
                        .tag("endpoint", endpoint)
                        .tag("budget", b.label)
                        .register(meters));
    }

    private static boolean hasDeviceBudget(Quota q) {
        return q.deviceRequests() != null || q.deviceEgressBytes() != null;
    }

    private static String deviceName(Device device) {
        return device.method() + ":" + device.id();
    }

    /** The current window's use of one endpoint's budgets, if it has any. */
    public Optional<Use> use(String externalPath) {
        var e = byEndpoint.get(externalPath.toLowerCase(Locale.ROOT));
        return e == null ? Optional.empty() : Optional.of(use(e));
    }

    /** Every budgeted endpoint's use in its current window. */
    public List<Use> use() {
        return byEndpoint.values().stream()
                .map(this::use)
                .sorted(Comparator.comparing(u -> u.quota().externalPathKey()))
                .toList();
    }

    private Use use(EndpointUse e) {
        long start = e.quota.windowStart(clock.instant().getEpochSecond());
        synchronized (e) {
            boolean current = e.windowStart == start;
            return new Use(
                    e.quota,
                    Instant.ofEpochSecond(start),
                    Instant.ofEpochSecond(start + e.quota.window().toSeconds()),
                    (current ? e.requests : 0) + e.otherRequests(start),
                    (current ? e.egress : 0) + e.otherEgress(start),
                    current ? e.busiestRequests : 0,
                    current ? e.busiestEgress : 0);
        }
    }

    /** This instance's own endpoint-wide counts of the current windows, to share with the other instances. */
    public List<QuotaStore.Use> localUse() {
        var out = new ArrayList<QuotaStore.Use>();
        for (var e : byEndpoint.values()) {
            synchronized (e) {
                if (e.windowStart != Long.MIN_VALUE && (e.requests > 0 || e.egress > 0)) {
                    out.add(new QuotaStore.Use(
                            e.quota.externalPathKey(),
                            Instant.ofEpochSecond(e.windowStart),
                            Instant.ofEpochSecond(
                                    e.windowStart + e.quota.window().toSeconds()),
                            e.requests,
                            e.egress));
                }
            }
        }
        return out;
    }

    /**
     * Starts this instance's counts from what it had written before it stopped (the same windows
     * only), so a restart does not hand its endpoints a fresh budget.
     */
    public void resume(List<QuotaStore.Use> own) {
        long now = clock.instant().getEpochSecond();
        for (var u : own) {
            var e = byEndpoint.get(u.externalPathKey());
            if (e != null && e.quota.windowStart(now) == u.windowStart().getEpochSecond()) {
                synchronized (e) {
                    e.roll(u.windowStart().getEpochSecond());
                    e.requests += u.requests();
                    e.egress += u.egressBytes();
                }
            }
        }
    }

    /** The other instances' counts (summed), as the store last had them. */
    public void othersUse(List<QuotaStore.Use> others) {
        var latest = new HashMap<String, QuotaStore.Use>();
        for (var u : others) {
            latest.merge(u.externalPathKey(), u, (a, b) -> a.windowStart().isAfter(b.windowStart()) ? a : b);
        }
        for (var e : byEndpoint.values()) {
            e.others = latest.get(e.quota.externalPathKey());
            long start = e.quota.windowStart(clock.instant().getEpochSecond());
            synchronized (e) {
                e.roll(start);
                warnIfCrossed(e, Budget.REQUESTS, e.requests + e.otherRequests(start));
                warnIfCrossed(e, Budget.EGRESS_BYTES, e.egress + e.otherEgress(start));
            }
        }
    }

    /** How many (endpoint, device) counters are held now (bounded by the cache's size). */
    public long trackedDevices() {
        devices.cleanUp();
        return devices.estimatedSize();
    }
}
