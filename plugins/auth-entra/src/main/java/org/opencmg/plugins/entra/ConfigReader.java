package org.opencmg.plugins.entra;

import java.util.Arrays;
import org.opencmg.api.PluginContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the plugin's settings on every use (a map lookup) and parses them again only when their
 * values changed. A bad value is logged once and yields a snapshot with an error: the plugin then
 * refuses with 503 {@code entra_misconfigured} until an administrator fixes it.
 */
final class ConfigReader {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigReader.class);

    /** Exactly one of {@code config} and {@code error} is set. Compared by identity: a new one means new values. */
    record Snapshot(String[] raw, EntraConfig config, String error) {}

    private final PluginContext context;
    private final String component;
    private volatile Snapshot last;

    ConfigReader(PluginContext context, String component) {
        this.context = context;
        this.component = component;
    }

    Snapshot current() {
        String[] raw = {
            context.setting(EntraSettings.TENANTS).orElse(EntraSettings.DEFAULT_TENANTS),
            context.setting(EntraSettings.JWKS_CA_FILE).orElse(""),
            context.setting(EntraSettings.CLOCK_SKEW_SECONDS).orElse(EntraSettings.DEFAULT_CLOCK_SKEW_SECONDS)
        };
        Snapshot s = last;
        if (s != null && Arrays.equals(s.raw(), raw)) {
            return s;
        }
        synchronized (this) {
            s = last;
            if (s != null && Arrays.equals(s.raw(), raw)) {
                return s;
            }
            try {
                s = new Snapshot(raw, EntraConfig.parse(raw[0], raw[1], raw[2]), null);
                LOG.info(
                        "{}: {} Entra ID tenant(s) onboarded: {}",
                        component,
                        s.config().tenants().size(),
                        s.config().tenants().keySet());
            } catch (RuntimeException e) {
                String error = e instanceof IllegalArgumentException ? e.getMessage() : e.toString();
                LOG.error(
                        "{}: settings plugins.{}.* are invalid, Entra ID is refused (503 entra_misconfigured) until they are fixed: {}",
                        component,
                        context.pluginId(),
                        error);
                s = new Snapshot(raw, null, error);
            }
            last = s;
            return s;
        }
    }
}
