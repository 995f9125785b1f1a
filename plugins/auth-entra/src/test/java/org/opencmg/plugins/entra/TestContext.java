package org.opencmg.plugins.entra;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.opencmg.api.AuditLog;
import org.opencmg.api.ClientTrust;
import org.opencmg.api.PluginContext;
import org.opencmg.api.Secrets;
import org.opencmg.api.Settings;

/** The plugin's context in unit tests: settings in a map, a clock the test moves. */
final class TestContext implements PluginContext {

    final Map<String, String> values = new ConcurrentHashMap<>();
    final MutableClock clock = new MutableClock(Instant.parse("2030-01-01T10:00:00Z"));

    @Override
    public String pluginId() {
        return "auth-entra";
    }

    /** Sets {@code plugins.auth-entra.NAME}; null removes it (back to its default). */
    TestContext set(String name, String value) {
        if (value == null) {
            values.remove("plugins.auth-entra." + name);
        } else {
            values.put("plugins.auth-entra." + name, value);
        }
        return this;
    }

    @Override
    public Settings settings() {
        return name -> Optional.ofNullable(values.get(name));
    }

    @Override
    public ClientTrust clientTrust() {
        throw new UnsupportedOperationException();
    }

    @Override
    public AuditLog audit() {
        throw new UnsupportedOperationException();
    }

    @Override
    public Secrets secrets() {
        throw new UnsupportedOperationException();
    }

    @Override
    public javax.sql.DataSource dataSource() {
        throw new UnsupportedOperationException();
    }

    @Override
    public Clock clock() {
        return clock;
    }

    static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration d) {
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

    private final java.util.Map<Class<?>, Object> sharedObjects = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public <T> T shared(Class<T> type, java.util.function.Supplier<T> create) {
        return type.cast(sharedObjects.computeIfAbsent(type, t -> create.get()));
    }
}
