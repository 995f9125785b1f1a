package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.pki.Thumbprints;

/**
 * Sites as boundaries for devices: the administrator binds trusted roots to sites (setting
 * site-roots), and a site that accepts only its own devices (setting site-bound) refuses a device of
 * another site with 403 wrong_site, counted; a site not bound, and a device whose credential names no
 * site, are unaffected. (Routing by site, and a site losing its connection points: TopologyTest.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SiteBoundaryTest {

    TestPki pki;
    InternalServer site;
    GatewayFixture gw;
    ConnectionPointFixture ps1;
    ConnectionPointFixture ps2;
    DeviceClient ofPs1;
    DeviceClient ofPs2;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        site = new InternalServer(pki);
        gw = GatewayFixture.withChannels(Files.createDirectories(dir.resolve("gw")), pki);
        gw.trustTestDevices();
        gw.check(gw.cli("roots", "add", pki.file("other-root.pem").toString()));
        gw.check(gw.cli(
                "endpoint", "publish", "--external", "/PS1_App", "--internal", site.url("/ps1"), "--site", "PS1"));
        gw.check(gw.cli(
                "endpoint", "publish", "--external", "/PS2_App", "--internal", site.url("/ps2"), "--site", "PS2"));
        ps1 = new ConnectionPointFixture(dir, pki, "cp-ps1", "PS1")
                .register(gw)
                .start(gw.channelUrl())
                .awaitUp();
        ps2 = new ConnectionPointFixture(dir, pki, "cp-ps2", "PS2")
                .register(gw)
                .start(gw.channelUrl())
                .awaitUp();
        ofPs1 = new DeviceClient(gw, pki.device("pc-of-ps1")); // under the test root
        ofPs2 = new DeviceClient(gw, pki.strangerDevice()); // under the other root
    }

    @AfterAll
    void stop() throws Exception {
        ps2.close();
        ps1.close();
        gw.close();
        site.close();
    }

    @Test
    void aBoundSiteRefusesDevicesOfAnotherSiteAndNoOneElse() throws Exception {
        // No binding yet: every trusted device reaches every site.
        assertThat(ofPs2.get("/PS1_App/x").statusCode()).isEqualTo(200);

        set(
                "site-roots",
                "PS1:" + Thumbprints.sha256(pki.root.certificate()) + ", PS2:"
                        + Thumbprints.sha256(pki.otherRoot.certificate()));
        set("site-bound", "PS1");
        Awaitility.await("the settings reach the pipeline")
                .atMost(Duration.ofSeconds(5))
                .until(() -> ofPs2.get("/PS1_App/x").statusCode() == 403);

        var refused = ofPs2.get("/PS1_App/x");
        assertThat(refused.body()).isEqualTo("403 wrong_site\n");
        assertThat(ofPs1.get("/PS1_App/x").statusCode()).as("PS1's own device").isEqualTo(200);
        assertThat(ofPs2.get("/PS2_App/x").statusCode())
                .as("PS2's own device on PS2")
                .isEqualTo(200);
        assertThat(ofPs1.get("/PS2_App/x").statusCode())
                .as("PS2 is not bound: it takes PS1's devices")
                .isEqualTo(200);
        assertThat(gw.metric("cmg_refusals_total{reason=\"wrong_site\",status=\"403\"}"))
                .isGreaterThanOrEqualTo(2.0);

        // A device whose root is bound to no site is no site's device: a bound site does not refuse it.
        set("site-roots", "PS2:" + Thumbprints.sha256(pki.otherRoot.certificate()));
        Awaitility.await()
                .atMost(Duration.ofSeconds(5))
                .until(() -> ofPs1.get("/PS1_App/x").statusCode() == 200);

        set("site-bound", "PS1,PS2");
        set(
                "site-roots",
                "PS1:" + Thumbprints.sha256(pki.root.certificate()) + ",PS2:"
                        + Thumbprints.sha256(pki.otherRoot.certificate()));
        Awaitility.await()
                .atMost(Duration.ofSeconds(5))
                .until(() -> ofPs1.get("/PS2_App/x").statusCode() == 403);
        assertThat(ofPs2.get("/PS2_App/x").statusCode()).isEqualTo(200);

        set("site-bound", "");
        Awaitility.await()
                .atMost(Duration.ofSeconds(5))
                .until(() -> ofPs1.get("/PS2_App/x").statusCode() == 200);
    }

    @Test
    void aMalformedBindingIsRefusedAndChangesNothing() {
        assertThat(gw.cli("settings", "set", "site-roots", "PS1:not-a-thumbprint"))
                .isEqualTo(1);
        assertThat(gw.out).contains("SITE:SHA256-THUMBPRINT");
        assertThat(gw.cli("settings", "set", "site-bound", "PS1;DROP TABLE")).isEqualTo(1);
    }

    private void set(String name, String value) {
        gw.check(gw.cli("settings", "set", name, value));
    }
}
