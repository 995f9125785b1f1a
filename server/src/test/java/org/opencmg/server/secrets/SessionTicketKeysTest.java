package org.opencmg.server.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.api.Jdbc;
import org.opencmg.server.config.GatewayConfig;
import org.opencmg.server.secrets.SecretStoreTest.TestClock;
import org.opencmg.server.store.Database;

/**
 * The client connector's session ticket keys: made once for the store, the same on every instance,
 * rotated when due by whichever instance sees it first, the previous key still opening tickets for
 * the overlap and then gone; nothing is installed again while nothing changed.
 */
class SessionTicketKeysTest {

    @TempDir
    java.nio.file.Path dir;

    Database database;
    TestClock clock = new TestClock();
    SecretStore storeOfA;
    SecretStore storeOfB;
    List<List<byte[]>> installedOnA = new ArrayList<>();
    List<List<byte[]>> installedOnB = new ArrayList<>();
    SessionTicketKeys a;
    SessionTicketKeys b;

    @BeforeEach
    void open() throws Exception {
        database =
                Database.open(new GatewayConfig.Database("jdbc:h2:file:" + dir.resolve("cmg"), "cmg", null, null, 4));
        var jdbc = new Jdbc(database.dataSource());
        var key = MasterKey.load(null, dir.resolve("master.key"));
        // Two instances: each its own snapshot of the one store.
        storeOfA = new SecretStore(jdbc, key, (actor, action, target, detail) -> {}, clock);
        storeOfB = new SecretStore(jdbc, key, (actor, action, target, detail) -> {}, clock);
        a = new SessionTicketKeys(storeOfA, clock, "gateway a", installedOnA::add);
        b = new SessionTicketKeys(storeOfB, clock, "gateway b", installedOnB::add);
    }

    @AfterEach
    void close() {
        database.close();
    }

    @Test
    void everyInstanceSealsWithTheSameKeyWhichRotatesWithAnOverlap() {
        a.tick();
        storeOfB.reload(); // what the secrets revision makes B do
        b.tick();
        assertThat(installedOnA).hasSize(1);
        assertThat(installedOnA.getFirst()).hasSize(1);
        assertThat(installedOnA.getFirst().getFirst()).hasSize(48);
        assertThat(installedOnB.getFirst().getFirst())
                .as("B seals with A's key")
                .isEqualTo(installedOnA.getFirst().getFirst());

        a.tick();
        assertThat(installedOnA).as("nothing changed, nothing installed").hasSize(1);

        clock.now = clock.now.plus(SessionTicketKeys.ROTATION);
        a.tick();
        storeOfB.reload();
        b.tick();
        List<byte[]> afterRotation = installedOnA.getLast();
        assertThat(afterRotation).hasSize(2);
        assertThat(afterRotation.get(1))
                .as("the previous key still opens tickets")
                .isEqualTo(installedOnA.getFirst().getFirst());
        assertThat(afterRotation.getFirst()).isNotEqualTo(afterRotation.get(1));
        assertThat(installedOnB.getLast()).containsExactlyElementsOf(afterRotation);
        assertThat(storeOfA.current(SessionTicketKeys.SECRET).orElseThrow().version())
                .as("B found the key fresh and did not rotate it again")
                .isEqualTo(2);

        clock.now = clock.now.plus(SessionTicketKeys.OVERLAP).plus(Duration.ofSeconds(1));
        b.tick();
        byte[] first = installedOnA.getFirst().getFirst();
        assertThat(installedOnB.getLast())
                .as("past its overlap the first key opens nothing (and the second, due too, was rotated)")
                .hasSize(2)
                .noneMatch(k -> Arrays.equals(k, first));
    }

    @Test
    void rotateNowMakesANewSealingKeyAndKeepsThePreviousOneOpening() {
        a.tick();
        byte[] before = installedOnA.getLast().getFirst();

        var reply = a.rotate("admin");

        assertThat(reply.status()).isEqualTo(200);
        assertThat(installedOnA.getLast()).hasSize(2);
        assertThat(installedOnA.getLast().get(1)).isEqualTo(before);
        assertThat(installedOnA.getLast().getFirst()).isNotEqualTo(before);
        assertThat(a.secretName()).isEqualTo("tls.session-ticket-key");
    }
}
