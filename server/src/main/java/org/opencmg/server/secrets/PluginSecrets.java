package org.opencmg.server.secrets;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.opencmg.api.SecretValue;
import org.opencmg.api.Secrets;

/** A plugin's view of the secret store: names are scoped under {@code plugin.<id>.}. */
public record PluginSecrets(SecretStore store, String pluginId) implements Secrets {

    private String scoped(String name) {
        return scoped(pluginId, name);
    }

    /** A plugin's secret's name in the store: {@code plugin.<id>.<name>}. */
    public static String scoped(String pluginId, String name) {
        if (name == null || !name.matches("[A-Za-z0-9._-]{1,128}")) {
            throw new IllegalArgumentException("secret names are 1-128 of A-Z a-z 0-9 . _ -");
        }
        return "plugin." + pluginId + "." + name;
    }

    @Override
    public Optional<SecretValue> current(String name) {
        return store.current(scoped(name));
    }

    @Override
    public List<SecretValue> valid(String name) {
        return store.valid(scoped(name));
    }

    @Override
    public SecretValue currentOrCreate(String name, Supplier<byte[]> generate) {
        return store.currentOrCreate(scoped(name), generate, "plugin:" + pluginId);
    }

    @Override
    public SecretValue rotate(String name, Supplier<byte[]> generate, Duration overlap, String actor) {
        return store.rotate(scoped(name), generate, overlap, actor);
    }
}
