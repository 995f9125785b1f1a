package org.opencmg.server.membership;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.opencmg.channel.GatewayInstances;
import org.opencmg.server.store.GatewayInstanceStore;
import org.opencmg.server.store.GatewayInstanceStore.InstanceRow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This instance's membership of the gateway instances sharing the store: it writes a heartbeat to
 * its own row every {@code heartbeat}, reads everyone's, and tells its listeners (the channel
 * registry, which tells the connection points) when the set of live instances changes. An instance
 * whose heartbeat is older than {@code expiry} is gone (killed, cut off); one that stopped cleanly
 * says so and is stopped. Rows not heard of for {@link #FORGET_AFTER} are deleted.
 */
public final class Membership implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Membership.class);
    static final Duration FORGET_AFTER = Duration.ofDays(1);

    public enum State {
        UP,
        GONE,
        STOPPED
    }

    /** One instance as this instance sees it. */
    /** @param adminUrl where its admin API answers (cmg analyze reaches every instance by it), or null */
    public record Member(
            String instance,
            String channelUrl,
            String version,
            Instant startedAt,
            Instant heartbeatAt,
            State state,
            String adminUrl) {}

    private final String instance;
    private final String channelUrl;
    private final String adminUrl;
    private final String version;
    private final GatewayInstanceStore store;
    private final Clock clock;
    private final Duration heartbeat;
    private final Duration expiry;
    private final Instant startedAt;
    private final List<Consumer<GatewayInstances>> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("membership").factory());
    private volatile List<Member> members = List.of();
    private volatile GatewayInstances live = new GatewayInstances(List.of());
    private volatile boolean stopped;

    public Membership(
            String instance,
            String channelUrl,
            String version,
            GatewayInstanceStore store,
            Clock clock,
            Duration heartbeat,
            Duration expiry) {
        this(instance, channelUrl, null, version, store, clock, heartbeat, expiry);
    }

    /** @param adminUrl where this instance's admin API answers, advertised beside its channel URL (null: not) */
    public Membership(
            String instance,
            String channelUrl,
            String adminUrl,
            String version,
            GatewayInstanceStore store,
            Clock clock,
            Duration heartbeat,
            Duration expiry) {
        this.instance = instance;
        this.channelUrl = channelUrl;
        this.adminUrl = adminUrl;
        this.version = version;
        this.store = store;
        this.clock = clock;
        this.heartbeat = heartbeat;
        this.expiry = expiry;
        this.startedAt = clock.instant();
    }

    /** Writes the first heartbeat now (a store that cannot be written stops the start) and then every heartbeat. */
    public void start(MeterRegistry meters) {
        beat();
        for (State s : State.values()) {
            Gauge.builder("cmg_gateway_instances", this, m -> m.count(s))
                    .description(
                            "Gateway instances sharing this store, by state (gone: no heartbeat within membership.expiry)")
                    .tag("state", s.name().toLowerCase())
                    .register(meters);
        }
        timer.scheduleWithFixedDelay(this::tick, heartbeat.toMillis(), heartbeat.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Called with the live instances whenever they change (on the membership thread). */
    public void onChange(Consumer<GatewayInstances> listener) {
        listeners.add(listener);
    }

    /** The live instances that advertise a channel URL, this one included. */
    public GatewayInstances live() {
        return live;
    }

    /** Every instance the store knows, as of the last heartbeat. */
    public List<Member> members() {
        return members;
    }

    private long count(State s) {
        return members.stream().filter(m -> m.state() == s).count();
    }

    private void tick() {
        try {
            if (!stopped) {
                beat();
            }
        } catch (RuntimeException e) {
            LOG.warn("membership heartbeat not written: {}", e.getMessage());
        }
    }

    /** One heartbeat: this row written, everyone's read (the timer calls it; tests too). */
    void beat() {
        Instant now = clock.instant();
        store.beat(new InstanceRow(instance, channelUrl, version, startedAt, now, null, adminUrl));
        int forgotten = store.forget(now.minus(FORGET_AFTER));
        if (forgotten > 0) {
            LOG.info("forgot {} gateway instance(s) not heard of for {} h", forgotten, FORGET_AFTER.toHours());
        }
        refresh(now);
    }

    private void refresh(Instant now) {
        var before = members;
        var after = store.list().stream()
                .map(r -> new Member(
                        r.instance(),
                        r.channelUrl(),
                        r.version(),
                        r.startedAt(),
                        r.heartbeatAt(),
                        state(r, now),
                        r.adminUrl()))
                .toList();
        members = after;
        for (Member m : after) {
            var was = before.stream()
                    .filter(b -> b.instance().equals(m.instance()))
                    .findFirst();
            if (m.state() == State.GONE && was.map(b -> b.state() != State.GONE).orElse(!before.isEmpty())) {
                LOG.warn("gateway instance {} is gone: no heartbeat since {}", m.instance(), m.heartbeatAt());
            } else if (m.state() == State.UP
                    && was.map(b -> b.state() != State.UP).orElse(true)
                    && !m.instance().equals(instance)) {
                LOG.info("gateway instance {} is up (channel {})", m.instance(), m.channelUrl());
            }
        }
        var next = new GatewayInstances(after.stream()
                .filter(m -> m.state() == State.UP && m.channelUrl() != null)
                .map(m -> new GatewayInstances.Instance(m.instance(), m.channelUrl()))
                .toList());
        if (!Objects.equals(next, live)) {
            live = next;
            listeners.forEach(l -> l.accept(next));
        }
    }

    private State state(InstanceRow r, Instant now) {
        if (r.stoppedAt() != null) {
            return State.STOPPED;
        }
        return r.heartbeatAt().isBefore(now.minus(expiry)) ? State.GONE : State.UP;
    }

    /** A clean stop (drain): marked stopped at once, so the others stop advertising this instance. */
    public void leave() {
        if (stopped) {
            return;
        }
        stopped = true;
        try {
            store.stopped(instance, clock.instant());
        } catch (RuntimeException e) {
            LOG.warn("could not mark this instance stopped in the store: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        leave();
    }
}
