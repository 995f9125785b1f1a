package org.opencmg.server.plugin;

import java.time.Clock;
import java.util.Optional;
import org.opencmg.api.AuditLog;
import org.opencmg.api.ClientTrust;
import org.opencmg.api.PluginContext;
import org.opencmg.api.Secrets;
import org.opencmg.api.Settings;
import org.opencmg.server.state.LiveState;
import org.opencmg.server.store.PublishedEndpoint;

/** The {@link PluginContext} a plugin's extensions receive. */
public record GatewayPluginContext(String pluginId, LiveState state, AuditLog audit, Secrets secrets,
                                   javax.sql.DataSource dataSource, Clock clock, java.nio.file.Path dataDir,
                                   java.util.concurrent.ConcurrentMap<Class<?>, Object> sharedObjects) implements PluginContext {

    public GatewayPluginContext(String pluginId, LiveState state, AuditLog audit, Secrets secrets,
                                javax.sql.DataSource dataSource, Clock clock, java.nio.file.Path dataDir) {
        this(pluginId, state, audit, secrets, dataSource, clock, dataDir, new java.util.concurrent.ConcurrentHashMap<>());
    }

    @Override
    public <T> T shared(Class<T> type, java.util.function.Supplier<T> create) {
        return type.cast(sharedObjects.computeIfAbsent(type, t -> create.get()));
    }

    @Override
    public void onStatePoll(Runnable refresh) {
        state.onPoll(refresh);
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
    public Optional<String> siteOfRole(String roleId) {
        return state.mappings().endpoints().stream().filter(e -> roleId != null && roleId.equals(e.roleId()))
                .map(PublishedEndpoint::site).findFirst();
    }
}
