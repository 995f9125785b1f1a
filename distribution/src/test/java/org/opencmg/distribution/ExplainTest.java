package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.pki.IssuedCertificate;
import org.opencmg.pki.PemFiles;

/** `cmg explain`: the gateway's own pipeline steps tell what would happen to a request, or why not. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExplainTest {

    static final String MP = "/CCM_Proxy_MutualAuth/72057594037927939/CCM_System";

    Path dir;
    TestPki pki;
    GatewayFixture gw;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        this.dir = dir;
        pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        gw = new GatewayFixture(dir, pki, new RecordingForwarder());
        gw.trustAndPublish();
        gw.check(gw.cli("settings", "set", "verify-revocation", "off"));
    }

    @AfterAll
    void stop() {
        gw.close();
    }

    Path certFile(String name, IssuedCertificate c) throws Exception {
        Path p = dir.resolve(name + ".pem");
        PemFiles.writeCertificates(p, List.of(c.certificate()));
        return p;
    }

    @Test
    void aMappedRequestNamesTheMappingAndWhyItCannotBeServedWithoutAConnectionPoint() throws Exception {
        int code = gw.cli(
                "explain",
                MP + "/request",
                "-X",
                "CCM_POST",
                "--cert",
                certFile("good", pki.device("good")).toString());
        assertThat(code).as(gw.out).isEqualTo(1);
        assertThat(gw.out)
                .startsWith("503 no_connection_point")
                .contains("site ABC")
                .contains("pki:CN=good");
    }

    @Test
    void refusalsComeWithTheSameReasonsThePipelineGives() throws Exception {
        Path good = certFile("good2", pki.device("good2"));
        assertThat(gw.cli("explain", MP + "/..%2f..%2fadmin", "--cert", good.toString()))
                .isEqualTo(1);
        assertThat(gw.out).startsWith("400 encoded_slash");
        assertThat(gw.cli("explain", "/CCM_Proxy_MutualAuth/1/Unknown", "--cert", good.toString()))
                .isEqualTo(1);
        assertThat(gw.out).startsWith("404 unmapped_path");
        assertThat(gw.cli("explain", MP + "/x", "-X", "DELETE", "--cert", good.toString()))
                .isEqualTo(1);
        assertThat(gw.out).startsWith("405 method_not_allowed");
        assertThat(gw.cli(
                        "explain",
                        MP + "/x",
                        "--cert",
                        certFile("expired", pki.expiredDevice()).toString()))
                .isEqualTo(1);
        assertThat(gw.out).startsWith("403 expired");
        assertThat(gw.cli("explain", MP + "/x")).isEqualTo(1);
        assertThat(gw.out).startsWith("401 no_credentials");
    }

    @Test
    void whatTheGatewayAnswersItselfIsServedWithoutAConnectionPoint() {
        assertThat(gw.cli("explain", "/CCM_Proxy_ServerAuth/ServiceMetadata"))
                .as(gw.out)
                .isZero();
        assertThat(gw.out).startsWith("served").contains("gateway service:  ServiceMetadata");
    }
}
