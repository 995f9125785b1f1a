package org.opencmg.server.plugin;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.opencmg.api.AdminPage;
import org.opencmg.api.AdminResource;
import org.opencmg.api.Authenticator;
import org.opencmg.api.GatewayService;
import org.opencmg.api.PluginContext;
import org.opencmg.api.Role;
import org.opencmg.api.SecretRotation;
import org.opencmg.api.SettingsProvider;
import org.opencmg.server.secrets.PluginSecrets;
import org.opencmg.server.store.SettingsCatalog;
import org.pf4j.DefaultPluginFactory;
import org.pf4j.DefaultPluginManager;
import org.pf4j.ExtensionFactory;
import org.pf4j.Plugin;
import org.pf4j.PluginFactory;
import org.pf4j.PluginManager;
import org.pf4j.PluginRuntimeException;
import org.pf4j.PluginState;
import org.pf4j.PluginWrapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the plugin JARs of the plugins directory with PF4J and fetches each extension once.
 * A plugin that fails to load, start or instantiate is recorded with its error and left out;
 * the gateway runs on without it.
 */
public final class PluginHost implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PluginHost.class);

    public record PluginStatus(String id, String version, String state, String error) {}

    /** A secret a plugin rotates on request, by its name in the secret store ({@code plugin.<id>.<name>}). */
    public record ContributedRotation(String secret, SecretRotation rotation) {}

    /** An admin console page and the plugin that adds it. */
    public record ContributedPage(String pluginId, AdminPage page) {}

    private final Path pluginsDir;
    private final Function<String, PluginContext> contextFor;
    private final Map<String, String> extensionErrors = new ConcurrentHashMap<>();
    /** One context per plugin, so that its extensions share what the context holds. */
    private final Map<String, PluginContext> contexts = new ConcurrentHashMap<>();

    private PluginManager manager;
    private final DataSource dataSource;
    private final SettingsCatalog settings;
    private List<Authenticator> authenticators = List.of();
    private List<Role> roles = List.of();
    private List<GatewayService> services = List.of();
    private List<AdminResource> adminResources = List.of();
    private List<ContributedPage> adminPages = List.of();
    private List<ContributedRotation> secretRotations = List.of();

    /** @param dataSource the store, on which each plugin's own migrations run (null: plugins get no tables) */
    /** @param settings where the plugins' declared settings go (the gateway's catalogue) */
    public PluginHost(
            Path pluginsDir,
            Function<String, PluginContext> contextFor,
            DataSource dataSource,
            SettingsCatalog settings) {
        this.pluginsDir = pluginsDir;
        this.contextFor = contextFor;
        this.dataSource = dataSource;
        this.settings = settings;
    }

    public void start(List<String> authOrder) {
        if (!Files.isDirectory(pluginsDir)) {
            LOG.warn("plugins directory {} does not exist: no authentication method or role is available", pluginsDir);
        }
        manager = new DefaultPluginManager(pluginsDir) {
            @Override
            protected ExtensionFactory createExtensionFactory() {
                return new ContextInjectingExtensionFactory();
            }

            @Override
            protected PluginFactory createPluginFactory() {
                return new ContextInjectingPluginFactory();
            }
        };
        try {
            manager.loadPlugins();
        } catch (RuntimeException e) {
            LOG.error("plugin loading failed: {}", e.toString());
        }
        // Each plugin's tables are in place before its Plugin object starts; one whose migrations failed does not
        // start.
        for (PluginWrapper p : manager.getPlugins()) {
            if (p.getPluginState() == PluginState.RESOLVED && migrate(p)) {
                try {
                    manager.startPlugin(p.getPluginId());
                } catch (RuntimeException e) {
                    extensionErrors.put(p.getPluginId(), "could not start: " + e);
                }
            }
            if (p.getPluginState() == PluginState.STARTED) {
                LOG.info(
                        "plugin {} {} started",
                        p.getPluginId(),
                        p.getDescriptor().getVersion());
            } else {
                LOG.error(
                        "plugin {} is {}: {}",
                        p.getPluginId(),
                        p.getPluginState(),
                        extensionErrors.getOrDefault(p.getPluginId(), errorOf(p)));
            }
        }
        for (SettingsProvider provider : fromPlugins(manager.getExtensions(SettingsProvider.class))) {
            settings.declare(pluginIdOf(provider.getClass()), provider.settings());
        }
        var auth = new ArrayList<Authenticator>();
        for (Authenticator a : fromPlugins(manager.getExtensions(Authenticator.class))) {
            auth.add(new AuthenticatorFacade(a, pluginIdOf(a.getClass())));
        }
        auth.sort(Comparator.comparingInt(a -> {
            int i = authOrder.indexOf(a.method());
            return i < 0 ? Integer.MAX_VALUE : i;
        }));
        authenticators = List.copyOf(auth);
        roles = List.copyOf(fromPlugins(manager.getExtensions(Role.class)));
        services = List.copyOf(fromPlugins(manager.getExtensions(GatewayService.class)));
        adminResources = List.copyOf(fromPlugins(manager.getExtensions(AdminResource.class)));
        adminPages = fromPlugins(manager.getExtensions(AdminPage.class)).stream()
                .filter(p -> p.path() != null && p.path().matches("[a-z0-9-]{1,64}"))
                .map(p -> new ContributedPage(pluginIdOf(p.getClass()), p))
                .toList();
        secretRotations = fromPlugins(manager.getExtensions(SecretRotation.class)).stream()
                .map(r -> new ContributedRotation(PluginSecrets.scoped(pluginIdOf(r.getClass()), r.secretName()), r))
                .toList();
        LOG.info(
                "authentication methods in order: {}",
                authenticators.stream().map(Authenticator::method).toList());
    }

    /**
     * Only plugin JARs extend the gateway (an extension index merely on the host's classpath is
     * ignored), and only plugins whose tables are in place.
     */
    private <T> List<T> fromPlugins(List<T> extensions) {
        return extensions.stream()
                .filter(e -> {
                    PluginWrapper w = manager.whichPlugin(e.getClass());
                    return w != null && !extensionErrors.containsKey(w.getPluginId());
                })
                .toList();
    }

    /**
     * Runs the plugin's own Flyway migrations (db/&lt;plugin-id&gt;/ in its JAR) with their own history table.
     *
     * @return false if they failed (recorded as the plugin's error)
     */
    private boolean migrate(PluginWrapper p) {
        if (dataSource == null || p.getPluginClassLoader().getResource("db/" + p.getPluginId()) == null) {
            return true;
        }
        try {
            Flyway.configure(p.getPluginClassLoader())
                    .dataSource(dataSource)
                    .locations("classpath:db/" + p.getPluginId())
                    .table("flyway_history_" + p.getPluginId().replaceAll("[^A-Za-z0-9]", "_"))
                    .baselineOnMigrate(true)
                    .baselineVersion("0")
                    .load()
                    .migrate();
            return true;
        } catch (RuntimeException e) {
            String msg = "migrations failed: " + e.getMessage();
            extensionErrors.put(p.getPluginId(), msg);
            LOG.error("plugin {}: {}", p.getPluginId(), msg);
            return false;
        }
    }

    public List<GatewayService> services() {
        return services;
    }

    public List<AdminResource> adminResources() {
        return adminResources;
    }

    public List<ContributedPage> adminPages() {
        return adminPages;
    }

    public List<ContributedRotation> secretRotations() {
        return secretRotations;
    }

    public List<Authenticator> authenticators() {
        return authenticators;
    }

    public List<Role> roles() {
        return roles;
    }

    public List<PluginStatus> status() {
        var out = new ArrayList<PluginStatus>();
        if (manager == null) {
            return out;
        }
        for (PluginWrapper p : manager.getPlugins()) {
            String error = extensionErrors.get(p.getPluginId());
            String state = error != null ? "FAILED" : p.getPluginState().toString();
            out.add(new PluginStatus(
                    p.getPluginId(), p.getDescriptor().getVersion(), state, error != null ? error : errorOf(p)));
        }
        return out;
    }

    private static String errorOf(PluginWrapper p) {
        Throwable t = p.getFailedException();
        return t == null ? null : t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    private String pluginIdOf(Class<?> extensionClass) {
        PluginWrapper w = manager.whichPlugin(extensionClass);
        return w == null ? "host" : w.getPluginId();
    }

    /** Stops every plugin (its Plugin object's stop releases what it holds), then releases their class loaders. */
    @Override
    public void close() {
        if (manager != null) {
            // One by one, the last started first: PF4J's stopPlugins() stops the first and then fails
            // on its own list (ConcurrentModificationException) when plugins were started one by one.
            var started = new ArrayList<>(manager.getStartedPlugins());
            Collections.reverse(started);
            for (PluginWrapper p : started) {
                try {
                    manager.stopPlugin(p.getPluginId());
                } catch (RuntimeException e) {
                    LOG.warn("stopping plugin {}: {}", p.getPluginId(), e.toString());
                }
            }
            contexts.values().forEach(c -> {
                if (c instanceof GatewayPluginContext g) {
                    g.stop();
                }
            });
            try {
                manager.unloadPlugins();
            } catch (RuntimeException e) {
                LOG.warn("unloading plugins: {}", e.toString());
            }
        }
    }

    /**
     * Makes a plugin's {@code Plugin} object (its manifest's Plugin-Class) with the plugin's
     * {@link PluginContext} when it has a constructor taking one, as extensions get theirs.
     */
    private final class ContextInjectingPluginFactory extends DefaultPluginFactory {
        @Override
        protected Plugin createInstance(Class<?> pluginClass, PluginWrapper wrapper) {
            Constructor<?> withContext;
            try {
                withContext = pluginClass.getConstructor(PluginContext.class);
            } catch (NoSuchMethodException e) {
                return super.createInstance(pluginClass, wrapper);
            }
            try {
                return (Plugin) withContext.newInstance(contexts.computeIfAbsent(wrapper.getPluginId(), contextFor));
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                Throwable cause = e instanceof InvocationTargetException ite ? ite.getCause() : e;
                LOG.error(
                        "plugin {}: {} could not be created: {}",
                        wrapper.getPluginId(),
                        pluginClass.getName(),
                        cause.toString());
                return null; // PF4J records the plugin as failed
            }
        }
    }

    /** Hands each extension its plugin's {@link PluginContext} through its constructor. */
    private final class ContextInjectingExtensionFactory implements ExtensionFactory {
        @Override
        public <T> T create(Class<T> extensionClass) {
            String pluginId = pluginIdOf(extensionClass);
            try {
                try {
                    return extensionClass
                            .getConstructor(PluginContext.class)
                            .newInstance(contexts.computeIfAbsent(pluginId, contextFor));
                } catch (NoSuchMethodException e) {
                    return extensionClass.getConstructor().newInstance();
                }
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                Throwable cause = e instanceof InvocationTargetException ite ? ite.getCause() : e;
                String msg = extensionClass.getName() + ": " + cause;
                extensionErrors.put(pluginId, msg);
                LOG.error("plugin {}: extension could not be created: {}", pluginId, msg);
                throw new PluginRuntimeException(msg);
            }
        }
    }
}
