package org.opencmg.api;

import java.util.Optional;

/** Read access to the gateway's settings (shared by every instance, changed by administrators). */
public interface Settings {

    /** The value of a setting, or its declared default; empty if neither exists. */
    Optional<String> get(String name);

    default boolean flag(String name, boolean fallback) {
        return get(name)
                .map(v -> v.equalsIgnoreCase("true") || v.equalsIgnoreCase("on"))
                .orElse(fallback);
    }
}
