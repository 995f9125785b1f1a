package org.opencmg.server.plugin;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.opencmg.api.AuditLog;
import org.opencmg.api.ClientTrust;
import org.opencmg.api.PluginContext;
import org.opencmg.api.Secrets;
import org.opencmg.api.Settings;
import org.opencmg.server.state.LiveState;
import org.opencmg.server.store.PublishedEndpoint;

/** The {@link PluginContext} a plugin's {@code Plugin} object and its extensions receive; one per plugin. */
public final class GatewayPluginContext implements PluginContext {

    private final String pluginId;
    private final LiveState state;
    private final AuditLog audit;
    private final Secrets secrets;
    private final DataSource dataSource;
    private final Clock clock;
    private final Path dataDir;
    private final ConcurrentMap<Class<?>, Object> sharedObjects = new ConcurrentHashMap<>();
    private volatile boolean stopped;

    public GatewayPluginContext(
            String pluginId,
            LiveState state,
            AuditLog audit,
            Secrets secrets,
            DataSource dataSource,
            Clock clock,
            Path dataDir) {
        this.pluginId = pluginId;
        this.state = state;
        this.audit = audit;
        this.secrets = secrets;
        this.dataSource = dataSource;
        this.clock = clock;
        this.dataDir = dataDir;
    }

    @Override
    public <T> T shared(Class<T> type, Supplier<T> create) {
        return type.cast(sharedObjects.computeIfAbsent(type, t -> create.get()));
    }

    /** The plugin's refreshes run on the host's poller until the plugin stops. */
    @Override
    public void onStatePoll(Runnable refresh) {
        state.onPoll(() -> {
            if (!stopped) {
                refresh.run();
            }
        });
    }

    /** The plugin stopped: its refreshes no longer run. */
    void stop() {
        stopped = true;
    }

    @Override
    public String pluginId() {
        return pluginId;
    }

    @Override
    public Settings settings() {
        return state;
    }

    @Override
    public ClientTrust clientTrust() {
        return state.clientTrust();
    }

    @Override
    public AuditLog audit() {
        return audit;
    }

    @Override
    public Secrets secrets() {
        return secrets;
    }

    @Override
    public DataSource dataSource() {
        return dataSource;
    }

    @Override
    public Clock clock() {
        return clock;
    }

    @Override
    public Path dataDir() {
        return dataDir;
    }

    @Override
    public Optional<String> siteOfRole(String roleId) {
        return state.mappings().endpoints().stream()
                .filter(e -> roleId != null && roleId.equals(e.roleId()))
                .map(PublishedEndpoint::site)
                .findFirst();
    }
}
