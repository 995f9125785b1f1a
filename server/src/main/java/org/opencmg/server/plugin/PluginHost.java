package org.opencmg.server.plugin;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.opencmg.api.Authenticator;
import org.opencmg.api.PluginContext;
import org.opencmg.api.Role;
import org.pf4j.DefaultPluginManager;
import org.pf4j.ExtensionFactory;
import org.pf4j.PluginManager;
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

    public record PluginStatus(String id, String version, String state, String error) {
    }

    private final Path pluginsDir;
    private final Function<String, PluginContext> contextFor;
    private final Map<String, String> extensionErrors = new ConcurrentHashMap<>();
    private PluginManager manager;
    private List<Authenticator> authenticators = List.of();
    private List<Role> roles = List.of();

    public PluginHost(Path pluginsDir, Function<String, PluginContext> contextFor) {
        this.pluginsDir = pluginsDir;
        this.contextFor = contextFor;
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
        };
        try {
            manager.loadPlugins();
            manager.startPlugins();
        } catch (RuntimeException e) {
            LOG.error("plugin loading failed: {}", e.toString());
        }
        for (PluginWrapper p : manager.getPlugins()) {
            if (p.getPluginState() == PluginState.STARTED) {
                LOG.info("plugin {} {} started", p.getPluginId(), p.getDescriptor().getVersion());
            } else {
                LOG.error("plugin {} is {}: {}", p.getPluginId(), p.getPluginState(), errorOf(p));
            }
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
        LOG.info("authentication methods in order: {}", authenticators.stream().map(Authenticator::method).toList());
    }

    /** Only plugin JARs extend the gateway; an extension index that is merely on the host's classpath is ignored. */
    private <T> List<T> fromPlugins(List<T> extensions) {
        return extensions.stream().filter(e -> manager.whichPlugin(e.getClass()) != null).toList();
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
            out.add(new PluginStatus(p.getPluginId(), p.getDescriptor().getVersion(), state,
                    error != null ? error : errorOf(p)));
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

    @Override
    public void close() {
        if (manager != null) {
            try {
                manager.unloadPlugins(); // stops each plugin, then releases its class loader
            } catch (RuntimeException e) {
                LOG.warn("stopping plugins: {}", e.toString());
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
                    return extensionClass.getConstructor(PluginContext.class).newInstance(contextFor.apply(pluginId));
                } catch (NoSuchMethodException e) {
                    return extensionClass.getConstructor().newInstance();
                }
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ite ? ite.getCause() : e;
                String msg = extensionClass.getName() + ": " + cause;
                extensionErrors.put(pluginId, msg);
                LOG.error("plugin {}: extension could not be created: {}", pluginId, msg);
                throw new org.pf4j.PluginRuntimeException(msg);
            }
        }
    }
}
