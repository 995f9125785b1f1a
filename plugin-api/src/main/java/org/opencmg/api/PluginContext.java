package org.opencmg.api;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * What the gateway gives a plugin. An extension class receives it through a public constructor
 * taking a single {@code PluginContext}; a no-argument constructor is used otherwise.
 */
public interface PluginContext {

    String pluginId();

    Settings settings();

    /** The current client-certificate trust snapshot; cheap to call on every request. */
    ClientTrust clientTrust();

    AuditLog audit();

    /** This plugin's secrets (signing keys, storage keys, client secrets). */
    Secrets secrets();

    /**
     * The gateway's store. The plugin's own Flyway migrations ({@code db/<plugin-id>/V1__*.sql} in
     * its JAR, PostgreSQL dialect) have run before any extension is created; name its tables with
     * a prefix of its own.
     */
    DataSource dataSource();

    /** The small JDBC helper on {@link #dataSource()}: queries, updates and transactions without the boilerplate. */
    default Jdbc jdbc() {
        return new Jdbc(dataSource());
    }

    /**
     * One object shared by all of this plugin's extensions (they are separate instances): made by
     * {@code create} on first use, the same instance afterwards. For caches that must agree, such
     * as parsed signing keys.
     */
    <T> T shared(Class<T> type, Supplier<T> create);

    /** The value of one of this plugin's declared settings ({@code plugins.<id>.<name>}), or its default. */
    default Optional<String> setting(String name) {
        return settings().get("plugins." + pluginId() + "." + name);
    }

    Clock clock();

    /** The gateway's data folder; a plugin keeps its files in a folder of its own below it. */
    Path dataDir();

    /**
     * Runs {@code refresh} now and then on the host's state poller (every 500 ms) until the gateway
     * stops: for a plugin's in-memory snapshot of its own tables, so that no device request reads
     * the database. It should read little (a revision counter) unless something changed; an
     * exception is logged and the poller goes on.
     */
    void onStatePoll(Runnable refresh);

    /**
     * The site of the published role instance with this ID (the role ID in a path such as
     * {@code /CCM_Proxy_ServerAuth/<role id>/...}), if one is published: the token service records it
     * as the site of the devices it registers. From the host's in-memory mappings (no database read).
     */
    default Optional<String> siteOfRole(String roleId) {
        return Optional.empty();
    }
}
