package org.opencmg.api;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The gateway's secret store as a plugin sees it: its own secrets only (names are scoped to the
 * plugin). Values are encrypted at rest; only metadata ever leaves the store in pages, logs or
 * API answers. Versions roll over with an overlap, so what the old version signed stays valid.
 */
public interface Secrets {

    /** The active version, if the secret exists. */
    Optional<SecretValue> current(String name);

    /** The active version and every earlier version still inside its overlap period, newest first. */
    List<SecretValue> valid(String name);

    /** The active version, creating version 1 from {@code generate} if there is none. */
    SecretValue currentOrCreate(String name, Supplier<byte[]> generate);

    /**
     * Makes a new active version from {@code generate}; the previous one stays valid for
     * {@code overlap} (then it is retired). Audited.
     */
    SecretValue rotate(String name, Supplier<byte[]> generate, Duration overlap, String actor);
}
