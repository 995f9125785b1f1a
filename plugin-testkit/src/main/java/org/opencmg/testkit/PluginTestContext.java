package org.opencmg.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.opencmg.api.AuditLog;
import org.opencmg.api.ClientRequest;
import org.opencmg.api.ClientTrust;
import org.opencmg.api.PluginContext;
import org.opencmg.api.SecretValue;
import org.opencmg.api.Secrets;
import org.opencmg.api.Settings;

/**
 * A real {@link PluginContext} for plugins' unit tests: an in-memory H2 in PostgreSQL mode with the
 * plugin's own migrations (db/&lt;plugin-id&gt;/, as the host runs them, if the plugin has any), a
 * secret store with versions and overlap, a clock the test moves, settings and an audit log the
 * test reads.
 */
public class PluginTestContext implements PluginContext {

    /** A clock the test sets. */
    public static final class MutableClock extends Clock {
        private volatile Instant now;

        public MutableClock(Instant now) {
            this.now = now;
        }

        public void set(Instant t) {
            now = t;
        }

        public void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    /** Versions with overlap, like the host's secret store (values kept in memory). */
    public final class MemorySecrets implements Secrets {
        private final Map<String, List<SecretValue>> versions = new HashMap<>();

        @Override
        public synchronized Optional<SecretValue> current(String name) {
            return valid(name).stream().filter(v -> v.validUntil() == null).findFirst();
        }

        @Override
        public synchronized List<SecretValue> valid(String name) {
            Instant now = clock.instant();
            var all = versions.computeIfAbsent(name, k -> new ArrayList<>());
            all.removeIf(v -> v.validUntil() != null && !v.validUntil().isAfter(now));
            return all.stream().sorted((a, b) -> b.version() - a.version()).toList();
        }

        @Override
        public synchronized SecretValue currentOrCreate(String name, Supplier<byte[]> generate) {
            return current(name).orElseGet(() -> rotate(name, generate, Duration.ZERO, "plugin:" + pluginId));
        }

        @Override
        public synchronized SecretValue rotate(String name, Supplier<byte[]> generate, Duration overlap, String actor) {
            Instant now = clock.instant();
            var list = versions.computeIfAbsent(name, k -> new ArrayList<>());
            int next = list.stream().mapToInt(SecretValue::version).max().orElse(0) + 1;
            list.replaceAll(v -> v.validUntil() == null
                    ? new SecretValue(v.name(), v.version(), v.createdAt(), now.plus(overlap), v.value())
                    : v);
            var v = new SecretValue(name, next, now, null, generate.get());
            list.add(v);
            audit.add(actor + " secret.rotate " + name + " v" + next);
            return v;
        }
    }

    public final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
    public final Map<String, String> settings = new ConcurrentHashMap<>();
    /** The site of each published role instance, by role ID, as the host's mappings would say. */
    public final Map<String, String> roleSites = new ConcurrentHashMap<>();

    public final List<String> audit = new CopyOnWriteArrayList<>();
    public final MemorySecrets secrets = new MemorySecrets();
    public final DataSource dataSource;
    private final String pluginId;

    public PluginTestContext(String pluginId) {
        this.pluginId = pluginId;
        var ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:" + UUID.randomUUID()
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1");
        if (PluginTestContext.class.getClassLoader().getResource("db/" + pluginId) != null
                || Thread.currentThread().getContextClassLoader().getResource("db/" + pluginId) != null) {
            Flyway.configure()
                    .dataSource(ds)
                    .locations("classpath:db/" + pluginId)
                    .table("flyway_history_" + pluginId.replaceAll("[^A-Za-z0-9]", "_"))
                    .load()
                    .migrate();
        }
        this.dataSource = ds;
    }

    @Override
    public String pluginId() {
        return pluginId;
    }

    private Path dataDir;

    /** A fresh temporary folder, made on first use. */
    @Override
    public synchronized Path dataDir() {
        if (dataDir == null) {
            try {
                dataDir = Files.createTempDirectory("plugin-test-" + pluginId);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return dataDir;
    }

    private final List<Runnable> statePolls = new CopyOnWriteArrayList<>();

    /** Runs it now; {@link #pollState()} runs it again, as the host's poller would. */
    @Override
    public void onStatePoll(Runnable refresh) {
        refresh.run();
        statePolls.add(refresh);
    }

    /** One round of the host's state poller: what another instance changed in the store arrives. */
    public void pollState() {
        statePolls.forEach(Runnable::run);
    }

    @Override
    public Settings settings() {
        return name -> Optional.ofNullable(settings.get(name));
    }

    @Override
    public Optional<String> siteOfRole(String roleId) {
        return Optional.ofNullable(roleId == null ? null : roleSites.get(roleId));
    }

    @Override
    public ClientTrust clientTrust() {
        return new ClientTrust(List.of(), List.of(), Set.of(), List.of(), 0);
    }

    @Override
    public AuditLog audit() {
        return (actor, action, target, detail) -> audit.add(actor + " " + action + " " + target + " " + detail);
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

    /** A device's request with these headers (no client certificate). */
    public static ClientRequest request(Map<String, String> headers) {
        return new ClientRequest() {
            @Override
            public String method() {
                return "POST";
            }

            @Override
            public String rawPath() {
                return "/CCM_Proxy_ServerAuth/72057594037927939/CCM_STS";
            }

            @Override
            public String rawQuery() {
                return "";
            }

            @Override
            public Optional<String> header(String name) {
                return headers.entrySet().stream()
                        .filter(e -> e.getKey().equalsIgnoreCase(name))
                        .map(Map.Entry::getValue)
                        .findFirst();
            }

            @Override
            public List<X509Certificate> peerCertificates() {
                return List.of();
            }

            @Override
            public InetSocketAddress remoteAddress() {
                return new InetSocketAddress("127.0.0.1", 50000);
            }

            @Override
            public String tlsProtocol() {
                return "TLSv1.3";
            }
        };
    }

    public static ClientRequest bearer(String token) {
        return request(Map.of("Authorization", "Bearer " + token));
    }

    private final Map<Class<?>, Object> sharedObjects = new ConcurrentHashMap<>();

    /** As if the next extensions were made by another gateway instance (or after a restart): nothing shared yet. */
    public void forgetShared() {
        sharedObjects.clear();
    }

    @Override
    public <T> T shared(Class<T> type, Supplier<T> create) {
        return type.cast(sharedObjects.computeIfAbsent(type, t -> create.get()));
    }
}
