package org.opencmg.server.channel;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.Connection;
import org.opencmg.server.store.ChannelStatusStore;
import org.opencmg.server.store.ConnectionPointStore.Registration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live channels of this gateway instance, by session and by site. Picks the next healthy
 * channel of a site round-robin, marks a channel down when its heartbeats stop, and records every
 * channel's state in the store so that every instance's view can be reported.
 */
public final class ChannelRegistry implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChannelRegistry.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String instance;
    private final Duration heartbeatTimeout;
    private final ChannelStatusStore statusStore;
    private final Clock clock;
    private final Map<String, Channel> bySession = new ConcurrentHashMap<>();
    private final Map<String, List<Channel>> bySite = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> roundRobin = new ConcurrentHashMap<>();
    private final Map<String, Instant> lastStatusWrite = new ConcurrentHashMap<>();
    private final ScheduledExecutorService monitor =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("channel-monitor").factory());

    public ChannelRegistry(String instance, Duration heartbeatTimeout, ChannelStatusStore statusStore, Clock clock) {
        this.instance = instance;
        this.heartbeatTimeout = heartbeatTimeout;
        this.statusStore = statusStore;
        this.clock = clock;
        monitor.scheduleWithFixedDelay(this::expireSilentChannels, 1, 1, TimeUnit.SECONDS);
    }

    /** Opens a channel for a registered connection point; an older channel of the same point is closed. */
    Channel open(Registration point, Connection connection, String remoteAddress) {
        byte[] token = new byte[24];
        RANDOM.nextBytes(token);
        var channel = new Channel(Base64.getUrlEncoder().withoutPadding().encodeToString(token), point, connection,
                remoteAddress, clock.instant());
        for (Channel old : List.copyOf(bySession.values())) {
            if (old.point.name().equals(point.name())) {
                close(old, "superseded by a new channel");
            }
        }
        bySession.put(channel.session, channel);
        bySite.computeIfAbsent(point.site(), s -> new CopyOnWriteArrayList<>()).add(channel);
        LOG.info("channel up: connection point {} (site {}) from {}", point.name(), point.site(), remoteAddress);
        writeStatus(channel, "up", true);
        return channel;
    }

    /** The channel of a session, if it is open and on the given connection. */
    Optional<Channel> session(String session, Connection connection) {
        Channel c = session == null ? null : bySession.get(session);
        return c != null && c.isOpen() && c.connection == connection ? Optional.of(c) : Optional.empty();
    }

    /** The next open channel of a site, round-robin, skipping {@code excluded}. */
    Optional<Channel> next(String site, Set<Channel> excluded) {
        List<Channel> channels = bySite.getOrDefault(site, List.of());
        int n = channels.size();
        if (n == 0) {
            return Optional.empty();
        }
        int start = Math.floorMod(roundRobin.computeIfAbsent(site, s -> new AtomicInteger()).getAndIncrement(), n);
        for (int i = 0; i < n; i++) {
            Channel c = channels.get((start + i) % n);
            if (c.isOpen() && !excluded.contains(c)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /** The connection point the next request of a site would go to, without moving the round-robin. */
    public Optional<String> peek(String site) {
        List<Channel> channels = bySite.getOrDefault(site, List.of());
        int n = channels.size();
        if (n == 0) {
            return Optional.empty();
        }
        int start = Math.floorMod(roundRobin.computeIfAbsent(site, s -> new AtomicInteger()).get(), n);
        for (int i = 0; i < n; i++) {
            Channel c = channels.get((start + i) % n);
            if (c.isOpen()) {
                return Optional.of(c.point.name());
            }
        }
        return Optional.empty();
    }

    void heartbeat(Channel c, long rttMicros) {
        c.lastHeartbeat = clock.instant();
        c.rttMicros = rttMicros;
        writeStatus(c, "up", false);
    }

    /** The transport under some channels closed: those channels are gone. */
    public void connectionClosed(Connection connection) {
        for (Channel c : List.copyOf(bySession.values())) {
            if (c.connection == connection) {
                close(c, "connection closed");
            }
        }
    }

    private void expireSilentChannels() {
        Instant limit = clock.instant().minus(heartbeatTimeout);
        for (Channel c : List.copyOf(bySession.values())) {
            if (c.lastHeartbeat.isBefore(limit)) {
                close(c, "no heartbeat for " + heartbeatTimeout.toSeconds() + " s");
            }
        }
    }

    private void close(Channel c, String reason) {
        if (bySession.remove(c.session) == null) {
            return;
        }
        bySite.getOrDefault(c.site(), List.of()).remove(c);
        c.close(reason);
        LOG.warn("channel down: connection point {} (site {}): {}", c.point.name(), c.site(), reason);
        writeStatus(c, "down", true);
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
            statusStore.put(new ChannelStatusStore.ChannelStatus(instance, c.point.name(), c.site(), state,
                    "up".equals(state) ? c.since : now, c.lastHeartbeat, c.rttMicros < 0 ? null : c.rttMicros,
                    c.remoteAddress, now));
        } catch (RuntimeException e) {
            LOG.warn("could not record the state of channel {}: {}", c.point.name(), e.getMessage());
        }
    }

    public List<Map<String, Object>> snapshot() {
        var out = new ArrayList<Map<String, Object>>();
        for (Channel c : bySession.values()) {
            out.add(Map.of("connection_point", c.point.name(), "site", c.site(), "since", c.since.toString(),
                    "last_heartbeat", c.lastHeartbeat.toString(), "rtt_micros", c.rttMicros,
                    "remote_address", c.remoteAddress, "pending", c.pending()));
        }
        return out;
    }

    public int openChannels() {
        return (int) bySession.values().stream().filter(Channel::isOpen).count();
    }

    public int openChannels(String site) {
        return (int) bySite.getOrDefault(site, List.of()).stream().filter(Channel::isOpen).count();
    }

    @Override
    public void close() {
        monitor.shutdownNow();
        for (Channel c : List.copyOf(bySession.values())) {
            close(c, "gateway stopping");
        }
    }
}
