package org.opencmg.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SettingsStoreTest {

    private static final Instant NOW = Instant.parse("2025-02-03T04:05:06Z");

    @TempDir
    Path dir;

    Store store;

    @BeforeEach
    void open() {
        store = Store.open(dir);
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void everySettingStartsAtItsDefault() {
        assertThat(store.settings.effective())
                .containsEntry(SettingsCatalog.ENFORCE_TLS12, "true")
                .containsEntry(SettingsCatalog.VERIFY_REVOCATION, "true")
                .hasSize(store.settings.catalog().all().size());
        assertThat(store.settings.list()).allMatch(SettingsStore.Value::isDefault);
    }

    @ParameterizedTest
    @CsvSource({
        "off, false",
        "OFF, false",
        "no, false",
        "0, false",
        "false, false",
        "' False ', false",
        "on, true",
        "yes, true",
        "1, true",
        "TRUE, true"
    })
    void storesTheCanonicalFormOfABoolean(String given, String stored) {
        assertThat(store.settings.set(SettingsCatalog.VERIFY_REVOCATION, given, "alice", NOW))
                .isEqualTo(stored);

        assertThat(store.settings.effective()).containsEntry(SettingsCatalog.VERIFY_REVOCATION, stored);
    }

    @Test
    void setValueIsNoLongerTheDefault() {
        store.settings.set(SettingsCatalog.VERIFY_REVOCATION, "off", "alice", NOW);

        var value = store.settings.get(SettingsCatalog.VERIFY_REVOCATION).orElseThrow();
        assertThat(value.value()).isEqualTo("false");
        assertThat(value.isDefault()).isFalse();
        assertThat(value.description()).isNotBlank();
        assertThat(store.settings
                        .get(SettingsCatalog.ENFORCE_TLS12)
                        .orElseThrow()
                        .isDefault())
                .isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"maybe", "", "tru", "2", "enabled"})
    void refusesABadBoolean(String value) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> store.settings.set(SettingsCatalog.ENFORCE_TLS12, value, "alice", NOW))
                .withMessageContaining(SettingsCatalog.ENFORCE_TLS12);
        assertThat(store.settings.effective()).containsEntry(SettingsCatalog.ENFORCE_TLS12, "true");
    }

    @Test
    void revocationModeIsHardOrSoftAndMaxChainDepthOneToSixteen() {
        assertThat(store.settings.effective())
                .containsEntry(SettingsCatalog.REVOCATION_MODE, "hard")
                .containsEntry(SettingsCatalog.MAX_CHAIN_DEPTH, "8");
        assertThat(store.settings.set(SettingsCatalog.REVOCATION_MODE, " SOFT ", "alice", NOW))
                .isEqualTo("soft");
        assertThat(store.settings.set(SettingsCatalog.MAX_CHAIN_DEPTH, "4", "alice", NOW))
                .isEqualTo("4");
        for (String bad : new String[] {"lenient", "", "off"}) {
            assertThatIllegalArgumentException()
                    .isThrownBy(() -> store.settings.set(SettingsCatalog.REVOCATION_MODE, bad, "alice", NOW))
                    .withMessageContaining("hard or soft");
        }
        for (String bad : new String[] {"0", "17", "deep", "-3"}) {
            assertThatIllegalArgumentException()
                    .isThrownBy(() -> store.settings.set(SettingsCatalog.MAX_CHAIN_DEPTH, bad, "alice", NOW))
                    .withMessageContaining("1 to 16");
        }
        assertThat(store.settings.effective())
                .containsEntry(SettingsCatalog.REVOCATION_MODE, "soft")
                .containsEntry(SettingsCatalog.MAX_CHAIN_DEPTH, "4");
    }

    @Test
    void refusesANullBoolean() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> store.settings.set(SettingsCatalog.ENFORCE_TLS12, null, "alice", NOW));
    }

    @Test
    void refusesAnUnknownName() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> store.settings.set("verify-revocations", "on", "alice", NOW))
                .withMessageContaining("unknown setting")
                .withMessageContaining(SettingsCatalog.VERIFY_REVOCATION);
        assertThat(store.settings.get("verify-revocations")).isEmpty();
    }

    @Test
    void refusedValueDoesNotBumpTheRevision() {
        long before = store.revisions.current().get(StateRevisions.SETTINGS);

        try {
            store.settings.set(SettingsCatalog.ENFORCE_TLS12, "maybe", "alice", NOW);
        } catch (IllegalArgumentException expected) {
            // refused
        }

        assertThat(store.revisions.current().get(StateRevisions.SETTINGS)).isEqualTo(before);
    }

    @Test
    void storedValueSurvivesReopening() {
        store.settings.set(SettingsCatalog.VERIFY_REVOCATION, "off", "alice", NOW);

        store.close();
        store = Store.open(dir);

        assertThat(store.settings
                        .get(SettingsCatalog.VERIFY_REVOCATION)
                        .orElseThrow()
                        .value())
                .isEqualTo("false");
    }

    @Test
    void settingAgainReplacesAndBumpsTheRevision() {
        long before = store.revisions.current().get(StateRevisions.SETTINGS);

        store.settings.set(SettingsCatalog.VERIFY_REVOCATION, "off", "alice", NOW);
        store.settings.set(SettingsCatalog.VERIFY_REVOCATION, "on", "bob", NOW);

        assertThat(store.settings.effective()).containsEntry(SettingsCatalog.VERIFY_REVOCATION, "true");
        assertThat(store.revisions.current().get(StateRevisions.SETTINGS)).isEqualTo(before + 2);
    }
}
