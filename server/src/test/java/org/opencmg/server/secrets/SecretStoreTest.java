package org.opencmg.server.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.api.AuditLog;
import org.opencmg.api.Jdbc;
import org.opencmg.server.config.GatewayConfig;
import org.opencmg.server.store.Database;

class SecretStoreTest {

    /** A clock the test moves forward. */
    static final class TestClock extends Clock {
        Instant now = Instant.parse("2026-11-22T00:00:00Z");

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    static final byte[] VALUE = "storage-key-0123456789-PLANTED".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    Database database;
    Jdbc jdbc;
    TestClock clock = new TestClock();
    List<String> audit = new ArrayList<>();
    AuditLog auditLog =
            (actor, action, target, detail) -> audit.add(actor + " " + action + " " + target + " " + detail);
    MasterKey key;
    SecretStore store;

    @BeforeEach
    void open() throws Exception {
        database =
                Database.open(new GatewayConfig.Database("jdbc:h2:file:" + dir.resolve("cmg"), "cmg", null, null, 4));
        jdbc = new Jdbc(database.dataSource());
        key = MasterKey.load(null, dir.resolve("master.key"));
        store = new SecretStore(jdbc, key, auditLog, clock);
    }

    @AfterEach
    void close() {
        database.close();
    }

    @Test
    void aSecretComesBackAsStoredButIsOnlyCiphertextAtRest() {
        store.rotate("content.storage-key", () -> VALUE.clone(), Duration.ZERO, "admin");

        assertThat(store.current("content.storage-key")).hasValueSatisfying(v -> {
            assertThat(v.bytes()).isEqualTo(VALUE);
            assertThat(v.version()).isEqualTo(1);
            assertThat(v.toString()).doesNotContain("PLANTED").contains("hidden");
        });
        byte[] stored = jdbc.query("select ciphertext from secrets", rs -> rs.getBytes(1))
                .getFirst();
        assertThat(new String(stored, StandardCharsets.ISO_8859_1)).doesNotContain("PLANTED");
        assertThat(stored.length).isEqualTo(12 + VALUE.length + 16);
    }

    @Test
    void rotationKeepsThePreviousVersionValidForTheOverlapThenDropsIt() {
        store.rotate("k", () -> "one".getBytes(), Duration.ZERO, "admin");
        store.rotate("k", () -> "two".getBytes(), Duration.ofHours(8), "admin");

        assertThat(store.current("k").orElseThrow().bytes()).isEqualTo("two".getBytes());
        assertThat(store.valid("k")).extracting(v -> new String(v.bytes())).containsExactly("two", "one");

        clock.now = clock.now.plus(Duration.ofHours(8));
        assertThat(store.valid("k")).extracting(v -> new String(v.bytes())).containsExactly("two");
        // Readers leave the expired version out at once; it is deleted on the admin path, not by readers.
        assertThat(jdbc.query("select count(*) from secrets", rs -> rs.getLong(1))
                        .getFirst())
                .isEqualTo(2);
        store.list();
        assertThat(jdbc.query("select count(*) from secrets", rs -> rs.getLong(1))
                        .getFirst())
                .isEqualTo(1);
        assertThat(audit).anyMatch(a -> a.startsWith("admin secret.rotate k version 2"));
    }

    @Test
    void currentOrCreateMakesVersionOneOnlyOnce() {
        var first = store.currentOrCreate("signing", () -> "a".getBytes(), "plugin:x");
        var again = store.currentOrCreate("signing", () -> "b".getBytes(), "plugin:x");
        assertThat(again).isEqualTo(first);
    }

    @Test
    void aTamperedOrSwappedCiphertextIsRefusedWithoutRevealingAnything() {
        store.rotate("a", () -> VALUE.clone(), Duration.ZERO, "admin");
        store.rotate("b", () -> "SECOND-PLANTED-VALUE".getBytes(), Duration.ZERO, "admin");
        // Move b's ciphertext into a's row: the ciphertext is bound to its name and version.
        jdbc.update(
                "update secrets set ciphertext = (select ciphertext from secrets where name = 'b') where name = 'a'");
        store.reload();

        assertThatThrownBy(() -> store.current("a"))
                .hasMessageContaining("does not decrypt")
                .hasNoCause()
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("PLANTED"));
    }

    @Test
    void readsComeFromMemoryAndAnotherInstancesRotationArrivesOnReload() {
        store.rotate("k", () -> "one".getBytes(), Duration.ZERO, "admin");
        var otherInstance = new SecretStore(jdbc, key, auditLog, clock);
        long revision = jdbc.query("select revision from state_revisions where topic = 'secrets'", rs -> rs.getLong(1))
                .getFirst();
        otherInstance.rotate("k", () -> "two".getBytes(), Duration.ofHours(1), "admin");
        assertThat(jdbc.query("select revision from state_revisions where topic = 'secrets'", rs -> rs.getLong(1))
                        .getFirst())
                .isEqualTo(revision + 1);

        jdbc.update("delete from secrets"); // the store is gone: readers do not notice until a reload
        assertThat(store.current("k").orElseThrow().bytes()).isEqualTo("one".getBytes());
        store.reload();
        assertThat(store.valid("k")).isEmpty();
    }

    @Test
    void anotherMasterKeyIsNamedNotGuessed() throws Exception {
        store.rotate("a", () -> VALUE.clone(), Duration.ZERO, "admin");
        var otherKey = MasterKey.load(Base64.getEncoder().encodeToString(new byte[32]), dir.resolve("unused"));
        var other = new SecretStore(jdbc, otherKey, auditLog, clock);

        assertThatThrownBy(() -> other.current("a")).hasMessageContaining("master key " + key.id());
    }

    @Test
    void theMasterKeyFileIsMadeOwnerOnlyAndABroaderOneIsRefused() throws Exception {
        Path file = dir.resolve("master.key");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        assertThat(MasterKey.load(null, file).id()).isEqualTo(key.id());

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> MasterKey.load(null, file)).hasMessageContaining("readable by others");
    }

    @Test
    void anEnvironmentMasterKeyWinsOverTheFileAndMustBe32Bytes() throws Exception {
        var fromEnv = MasterKey.load(Base64.getEncoder().encodeToString(new byte[32]), dir.resolve("master.key"));
        assertThat(fromEnv.id()).isNotEqualTo(key.id());
        assertThatThrownBy(() -> MasterKey.load(Base64.getEncoder().encodeToString(new byte[16]), dir.resolve("x")))
                .hasMessageContaining("32 bytes");
        assertThatThrownBy(() -> MasterKey.load("not base64!", dir.resolve("x")))
                .hasMessageContaining("not base64");
    }

    @Test
    void listingShowsMetadataOnly() {
        store.rotate("k", () -> VALUE.clone(), Duration.ZERO, "admin");
        store.rotate("k", () -> VALUE.clone(), Duration.ofDays(1), "admin");

        assertThat(store.list())
                .hasSize(2)
                .allSatisfy(m -> assertThat(m.toString()).doesNotContain("PLANTED"));
        assertThat(store.list().getFirst().active()).isTrue();
        assertThat(store.list().get(1).validUntil()).isEqualTo(clock.now.plus(Duration.ofDays(1)));
    }

    @Test
    void pluginSecretsAreScopedToThePlugin() {
        var a = new PluginSecrets(store, "auth-token");
        var b = new PluginSecrets(store, "role-content");
        a.currentOrCreate("signing-key", () -> VALUE.clone());

        assertThat(b.current("signing-key")).isEmpty();
        assertThat(store.current("plugin.auth-token.signing-key")).isPresent();
        assertThatThrownBy(() -> a.current("../other")).isInstanceOf(IllegalArgumentException.class);
    }
}
