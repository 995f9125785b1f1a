package org.opencmg.server.state;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import org.opencmg.api.ClientTrust;
import org.opencmg.api.Settings;
import org.opencmg.channel.HeaderPolicy;
import org.opencmg.server.pipeline.MappingSnapshot;
import org.opencmg.server.store.ClientTrustStore;
import org.opencmg.server.store.ConnectionPointStore;
import org.opencmg.server.store.EndpointStore;
import org.opencmg.server.store.PublishedEndpoint;
import org.opencmg.server.store.RegisteredPoints;
import org.opencmg.server.store.SettingsStore;
import org.opencmg.server.store.StateRevisions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In-memory snapshots of the shared state the request path reads: mappings, client trust,
 * settings and the registered connection points. Each is immutable and swapped atomically; the
 * request path never touches the database. A poller reloads whatever another instance (or the admin API) changed.
 */
public final class LiveState implements Settings, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LiveState.class);

    private final StateRevisions revisions;
    private final EndpointStore endpoints;
    private final ClientTrustStore trust;
    private final SettingsStore settings;
    private final ConnectionPointStore points;

    private final AtomicReference<MappingSnapshot> mappings = new AtomicReference<>(MappingSnapshot.EMPTY);
    private final AtomicReference<ClientTrust> clientTrust = new AtomicReference<>();
    private final AtomicReference<Map<String, String>> settingValues = new AtomicReference<>(Map.of());
    private final AtomicReference<RegisteredPoints> registeredPoints = new AtomicReference<>(RegisteredPoints.NONE);
    private final Map<String, Long> seen = new ConcurrentHashMap<>();
    private final List<Consumer<Map<String, String>>> settingsListeners = new ArrayList<>();
    private final List<Consumer<MappingSnapshot>> mappingListeners = new ArrayList<>();
    private final Map<String, List<Runnable>> revisionListeners = new ConcurrentHashMap<>();
    private final List<Runnable> pollListeners = new CopyOnWriteArrayList<>();
    private volatile Function<PublishedEndpoint, HeaderPolicy> headerPolicies = e -> HeaderPolicy.STANDARD_ONLY;
    private ScheduledExecutorService poller;
    private volatile long lastRefreshMillis = System.currentTimeMillis();

    public LiveState(
            StateRevisions revisions,
            EndpointStore endpoints,
            ClientTrustStore trust,
            SettingsStore settings,
            ConnectionPointStore points) {
        this.revisions = revisions;
        this.endpoints = endpoints;
        this.trust = trust;
        this.settings = settings;
        this.points = points;
        refresh();
    }

    /** Polls the revisions every {@code periodMillis} so changes from other instances arrive within that. */
    public void startPolling(long periodMillis) {
        poller = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("state-poller").factory());
        poller.scheduleWithFixedDelay(
                () -> {
                    try {
                        refresh();
                    } catch (RuntimeException e) {
                        LOG.warn("state refresh failed, keeping the last snapshot: {}", e.getMessage());
                    }
                },
                periodMillis,
                periodMillis,
                TimeUnit.MILLISECONDS);
    }

    /** Reloads the settings whatever their revision (after plugins declared their defaults). */
    public synchronized void reloadSettings() {
        seen.remove(StateRevisions.SETTINGS);
        refresh();
    }

    /**
     * How each endpoint's header policy is found (its role plugin's declared headers), from now on;
     * rebuilds the mapping snapshot with it. Called once the plugins are loaded.
     */
    public synchronized void headerPolicies(Function<PublishedEndpoint, HeaderPolicy> policyOf) {
        headerPolicies = policyOf;
        seen.remove(StateRevisions.ENDPOINTS);
        refresh();
    }

    /** Reloads every snapshot whose revision moved. Called by the poller and right after local writes. */
    public synchronized void refresh() {
        Map<String, Long> now = revisions.current();
        if (changed(now, StateRevisions.ENDPOINTS)) {
            var snapshot = new MappingSnapshot(endpoints.list(), now.get(StateRevisions.ENDPOINTS), headerPolicies);
            mappings.set(snapshot);
            mappingListeners.forEach(l -> l.accept(snapshot));
        }
        if (changed(now, StateRevisions.TRUST)) {
            clientTrust.set(trust.snapshot(now.get(StateRevisions.TRUST)));
        }
        if (changed(now, StateRevisions.SETTINGS)) {
            var values = Map.copyOf(settings.effective());
            settingValues.set(values);
            settingsListeners.forEach(l -> l.accept(values));
        }
        if (changed(now, StateRevisions.CONNECTION_POINTS)) {
            registeredPoints.set(RegisteredPoints.of(points.list()));
        }
        for (var e : revisionListeners.entrySet()) {
            if (changed(now, e.getKey())) {
                try {
                    e.getValue().forEach(Runnable::run);
                } catch (RuntimeException failed) {
                    LOG.warn("reloading {} failed, keeping the last snapshot: {}", e.getKey(), failed.getMessage());
                    now.remove(e.getKey()); // not seen: tried again on the next poll
                }
            }
        }
        for (Runnable poll : pollListeners) {
            try {
                poll.run();
            } catch (RuntimeException failed) {
                LOG.warn("a plugin's state refresh failed, keeping its last snapshot: {}", failed.getMessage());
            }
        }
        seen.putAll(now);
        lastRefreshMillis = System.currentTimeMillis();
    }

    /** True while the store answered within the last {@code maxAgeMillis}. */
    public boolean fresh(long maxAgeMillis) {
        return System.currentTimeMillis() - lastRefreshMillis <= maxAgeMillis;
    }

    private boolean changed(Map<String, Long> now, String topic) {
        return !now.get(topic).equals(seen.get(topic));
    }

    public MappingSnapshot mappings() {
        return mappings.get();
    }

    /** The registered connection points, for the channel connector's handshake and hello. */
    public RegisteredPoints registeredPoints() {
        return registeredPoints.get();
    }

    public ClientTrust clientTrust() {
        return clientTrust.get();
    }

    @Override
    public Optional<String> get(String name) {
        return Optional.ofNullable(settingValues.get().get(name));
    }

    /** Called with the new values after every settings change (and not for the initial load). */
    public synchronized void onSettingsChange(Consumer<Map<String, String>> listener) {
        settingsListeners.add(listener);
    }

    /**
     * Runs {@code reload} (on the poller, or after a local write) whenever {@code topic}'s revision
     * moves, and once now, so that nothing changed before the registration is missed.
     */
    public synchronized void onRevision(String topic, Runnable reload) {
        revisionListeners
                .computeIfAbsent(topic, t -> new CopyOnWriteArrayList<>())
                .add(reload);
        reload.run();
    }

    /** Runs {@code refresh} now and on every poll (a plugin's own snapshot: it checks its own revision). */
    public void onPoll(Runnable refresh) {
        refresh.run();
        pollListeners.add(refresh);
    }

    /** Called with the new snapshot after every change of the published mappings. */
    public synchronized void onMappingsChange(Consumer<MappingSnapshot> listener) {
        mappingListeners.add(listener);
    }

    @Override
    public void close() {
        if (poller != null) {
            poller.shutdownNow();
        }
    }
}
