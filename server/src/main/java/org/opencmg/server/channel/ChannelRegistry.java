package org.opencmg.server.channel;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.opencmg.channel.ChannelJson;
import org.opencmg.channel.ChannelProtocol;
import org.opencmg.channel.GatewayInstances;
import org.opencmg.channel.MappingTable;
import org.opencmg.server.notification.NotificationHub;
import org.opencmg.server.pipeline.MappingSnapshot;
import org.opencmg.server.state.LiveState;
import org.opencmg.server.store.ChannelStatusStore;
import org.opencmg.server.store.ConnectionPointStore.Registration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open channels of this gateway instance, by site. Picks the next usable channel of a site
 * round-robin; every heartbeat PINGs each channel and closes one whose PINGs went unanswered for
 * the heartbeat timeout or whose registration was withdrawn; pushes a site's mapping table to its
 * channels when it changes (and every minute, whole); records every channel's state in the store
 * so that every instance's view can be reported; tells every connection point which gateway
 * instances are alive, so that it dials a new one by itself. Each channel also carries its site's client
 * notifications to this instance's hub (a notification endpoint is the gateway's: never in a table).
 */
public final class ChannelRegistry implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChannelRegistry.class);
    private static final Duration FULL_PUSH = Duration.ofMinutes(1);

    private final String instance;
    private final Duration heartbeatInterval;
    private final Duration heartbeatTimeout;
    private final ChannelStatusStore statusStore;
    private final LiveState live;
    private final Clock clock;
    private final Set<Channel> open = ConcurrentHashMap.newKeySet();
    private final Map<String, List<Channel>> bySite = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> roundRobin = new ConcurrentHashMap<>();
    private final Map<String, Instant> lastStatusWrite = new ConcurrentHashMap<>();
    private final ScheduledExecutorService monitor = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("channel-monitor").factory());
    private volatile long lastFullPush = System.nanoTime();
    private final NotificationHub notifications;
    /** The live gateway instances, as every connection point hears of them. */
    private volatile GatewayInstances instances = new GatewayInstances(List.of());
    /** This instance is stopping: its channels end by its own GOAWAY, which is no failure. */
    private volatile boolean draining;

    public ChannelRegistry(
            String instance,
            Duration heartbeatInterval,
            Duration heartbeatTimeout,
            ChannelStatusStore statusStore,
            LiveState live,
            Clock clock,
            NotificationHub notifications) {
        this.notifications = notifications;
        this.instance = instance;
        this.heartbeatInterval = heartbeatInterval;
        this.heartbeatTimeout = heartbeatTimeout;
        this.statusStore = statusStore;
        this.live = live;
        this.clock = clock;
        long tick = Math.max(100, heartbeatInterval.toMillis());
        monitor.scheduleWithFixedDelay(this::tick, tick, tick, TimeUnit.MILLISECONDS);
        live.onMappingsChange(snapshot -> monitor.execute(() -> pushAll(snapshot)));
    }

    /** A welcomed channel of a registered connection point: its mappings first, then it takes exchanges. */
    void open(Channel channel, Registration point) {
        for (Channel old : List.copyOf(open)) {
            if (old.point.name().equals(point.name())) {
                close(old, "superseded by a new channel");
            }
        }
        channel.point = point;
        push(channel, live.mappings()).whenComplete((v, t) -> {
            if (t != null) {
                channel.close("mappings not delivered: " + t.getMessage());
                return;
            }
            open.add(channel);
            bySite.computeIfAbsent(point.site(), s -> new CopyOnWriteArrayList<>())
                    .add(channel);
            LOG.info(
                    "channel up: connection point {} (site {}) from {}",
                    point.name(),
                    point.site(),
                    channel.remoteAddress);
            writeStatus(channel, "up", true);
            pushInstances(channel, instances);
            NotificationFeed.open(channel, notifications);
            if (channel.session.isClosed()) {
                closed(channel, "connection closed");
            }
        });
    }

    /** The next usable channel of a site, round-robin, skipping {@code excluded}. */
    Optional<Channel> next(String site, Set<Channel> excluded) {
        List<Channel> channels = bySite.getOrDefault(site, List.of());
        int n = channels.size();
        if (n == 0) {
            return Optional.empty();
        }
        int start = Math.floorMod(
                roundRobin.computeIfAbsent(site, s -> new AtomicInteger()).getAndIncrement(), n);
        for (int i = 0; i < n; i++) {
            Channel c = channels.get((start + i) % n);
            if (c.usable() && !excluded.contains(c)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /** Every channel of a site, usable or not (the connection analyzer tries each one). */
    List<Channel> channels(String site) {
        return List.copyOf(bySite.getOrDefault(site, List.of()));
    }

    /** The connection point the next request of a site would go to, without moving the round-robin. */
    public Optional<String> peek(String site) {
        List<Channel> channels = bySite.getOrDefault(site, List.of());
        int n = channels.size();
        if (n == 0) {
            return Optional.empty();
        }
        int start = Math.floorMod(
                roundRobin.computeIfAbsent(site, s -> new AtomicInteger()).get(), n);
        for (int i = 0; i < n; i++) {
            Channel c = channels.get((start + i) % n);
            if (c.usable()) {
                return Optional.of(c.point.name());
            }
        }
        return Optional.empty();
    }

    void heartbeat(Channel c) {
        c.lastHeartbeat = clock.instant();
        if (c.point != null) {
            writeStatus(c, "up", false);
        }
    }

    /** The session of a channel ended (GOAWAY, failure, connection closed). */
    void closed(Channel c, String reason) {
        if (!open.remove(c)) {
            return;
        }
        bySite.getOrDefault(c.site(), List.of()).remove(c);
        if (draining) {
            LOG.info("channel drained: connection point {} (site {})", c.point.name(), c.site());
        } else {
            LOG.warn("channel down: connection point {} (site {}): {}", c.point.name(), c.site(), reason);
        }
        writeStatus(c, "down", true);
    }

    private void close(Channel c, String reason) {
        closed(c, reason);
        c.close(reason);
    }

    private void tick() {
        try {
            Instant limit = clock.instant().minus(heartbeatTimeout);
            var registered = live.registeredPoints();
            for (Channel c : List.copyOf(open)) {
                if (c.lastHeartbeat.isBefore(limit)) {
                    close(c, "no answer to PING for " + heartbeatTimeout.toSeconds() + " s");
                } else if (registered
                        .find(c.point.thumbprintSha256(), c.point.connectionId())
                        .isEmpty()) {
                    close(c, "connection_point_unregistered: " + c.point.name() + " was unregistered");
                } else {
                    c.ping();
                }
            }
            if (System.nanoTime() - lastFullPush > FULL_PUSH.toNanos()) {
                lastFullPush = System.nanoTime();
                pushAll(live.mappings());
                open.forEach(c -> pushInstances(c, instances));
            }
        } catch (RuntimeException e) {
            LOG.warn("channel monitor: {}", e.toString());
        }
    }

    private void pushAll(MappingSnapshot snapshot) {
        for (Channel c : List.copyOf(open)) {
            push(c, snapshot).whenComplete((v, t) -> {
                if (t != null) {
                    LOG.warn("mappings not delivered to {}: {}", c.name(), t.getMessage());
                }
            });
        }
    }

    /** Sends a site's whole mapping table to one of its channels. */
    private CompletableFuture<Void> push(Channel c, MappingSnapshot snapshot) {
        var endpoints = snapshot.endpoints().stream()
                .filter(e -> e.site().equals(c.site()) && !e.endpoint().heldByGateway())
                .map(e -> new MappingTable.Mapping(
                        e.endpoint().externalPath(),
                        e.endpoint().internalUrl(),
                        Set.copyOf(e.endpoint().methods())))
                .toList();
        byte[] table = ChannelJson.write(new MappingTable(c.site(), snapshot.revision(), endpoints));
        return ControlStream.send(c.session, "PUT", ChannelProtocol.MAPPINGS, table, 256)
                .thenAccept(a -> {
                    if (a.status() != 204) {
                        throw new IllegalStateException("the connection point answered " + a.status());
                    }
                });
    }

    /** The live gateway instances changed: every connection point hears of it. */
    public void instancesChanged(GatewayInstances now) {
        instances = now;
        monitor.execute(() -> open.forEach(c -> pushInstances(c, now)));
    }

    private void pushInstances(Channel c, GatewayInstances list) {
        if (list.instances().isEmpty()) {
            return;
        }
        ControlStream.send(c.session, "PUT", ChannelProtocol.INSTANCES, ChannelJson.write(list), 256)
                .whenComplete((a, t) -> {
                    if (t != null || a.status() != 204) {
                        LOG.debug(
                                "instance list not delivered to {}: {}",
                                c.name(),
                                t != null ? t.getMessage() : a.status());
                    }
                });
    }

    /** State changes are written at once; heartbeats at most every 5 seconds per channel. */
    private void writeStatus(Channel c, String state, boolean force) {
        Instant now = clock.instant();
        Instant last = lastStatusWrite.get(c.point.name());
        if (!force && last != null && last.plusSeconds(5).isAfter(now)) {
            return;
        }
        lastStatusWrite.put(c.point.name(), now);
        try {
            statusStore.put(new ChannelStatusStore.ChannelStatus(
                    instance,
                    c.point.name(),
                    c.site(),
                    state,
                    "up".equals(state) ? c.since : now,
                    c.lastHeartbeat,
                    c.rttMicros < 0 ? null : c.rttMicros,
                    c.remoteAddress,
                    now));
        } catch (RuntimeException e) {
            LOG.warn("could not record the state of channel {}: {}", c.point.name(), e.getMessage());
        }
    }

    public List<Map<String, Object>> snapshot() {
        var out = new ArrayList<Map<String, Object>>();
        for (Channel c : open) {
            out.add(Map.of(
                    "connection_point",
                    c.point.name(),
                    "site",
                    c.site(),
                    "since",
                    c.since.toString(),
                    "last_heartbeat",
                    c.lastHeartbeat.toString(),
                    "rtt_micros",
                    c.rttMicros,
                    "remote_address",
                    c.remoteAddress,
                    "pending",
                    c.exchangesInFlight()));
        }
        return out;
    }

    public int openChannels() {
        return (int) open.stream().filter(Channel::usable).count();
    }

    public int openChannels(String site) {
        return (int) bySite.getOrDefault(site, List.of()).stream()
                .filter(Channel::usable)
                .count();
    }

    /**
     * GOAWAY on every channel, then waits (up to {@code within}) for their streams to finish and their
     * connections to close; returns how many channels there were.
     */
    public int drain(Duration within) {
        draining = true;
        var channels = List.copyOf(open);
        var closing = channels.stream().map(Channel::drain).toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(closing).get(Math.max(0, within.toMillis()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warn("channels not drained within {} ms: their streams are cut", within.toMillis());
        } catch (ExecutionException e) {
            LOG.debug("draining channels: {}", e.getCause().toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return channels.size();
    }

    /** Resets every channel's held notification stream (before a stop: nothing else may keep a channel open). */
    public void endNotifications() {
        open.forEach(Channel::endNotifications);
    }

    @Override
    public void close() {
        monitor.shutdownNow();
        for (Channel c : List.copyOf(open)) {
            close(c, "gateway stopping");
        }
    }
}
