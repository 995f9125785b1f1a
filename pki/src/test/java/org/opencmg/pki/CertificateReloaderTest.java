package org.opencmg.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a renewed certificate and key must pass before they are put in service, and when the files
 * are looked at: a change is tried once it held still for one poll, a refused pair once per change,
 * and a reload on demand (SIGHUP) tries whatever differs from the pair in service.
 */
class CertificateReloaderTest {

    private final IssuedCertificate root =
            CertificateBuilder.rootCa("Reload Root").build();
    private final List<KeyMaterial> applied = new ArrayList<>();
    private final List<String> outcomes = new ArrayList<>();

    @Test
    void aChangedPairIsTriedOnceItHeldStillAndPutInService(@TempDir Path dir) throws Exception {
        var first = leaf(Instant.now().plus(Duration.ofDays(30)));
        var reloader = watching(dir, first);
        var second = leaf(Instant.now().plus(Duration.ofDays(60)));
        write(dir, second, second);

        reloader.poll();
        assertThat(applied).as("not while it may still be changing").isEmpty();
        reloader.poll();
        assertThat(applied).hasSize(1);
        assertThat(reloader.current("client").getSerialNumber())
                .isEqualTo(second.certificate().getSerialNumber());
        assertThat(outcomes).containsExactly("client reloaded");

        reloader.poll();
        assertThat(applied).as("nothing new").hasSize(1);
    }

    @Test
    void aBadPairIsRefusedWithItsReasonOncePerChangeAndTheOneInServiceStays(@TempDir Path dir) throws Exception {
        var first = leaf(Instant.now().plus(Duration.ofDays(30)));
        var reloader = watching(dir, first);

        var other = leaf(Instant.now().plus(Duration.ofDays(60)));
        write(dir, other, first); // another certificate's key
        reloader.poll();
        reloader.poll();
        reloader.poll();
        assertThat(outcomes).containsExactly("client key_mismatch");

        var future = CertificateBuilder.leaf("gateway", root)
                .serverAuth()
                .validFrom(Instant.now().plus(Duration.ofDays(1)))
                .validUntil(Instant.now().plus(Duration.ofDays(90)))
                .build();
        write(dir, future, future);
        reloader.poll();
        reloader.poll();
        assertThat(outcomes).containsExactly("client key_mismatch", "client not_yet_valid");

        Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        reloader.poll();
        reloader.poll();
        assertThat(outcomes).last().isEqualTo("client unreadable");
        assertThat(applied).isEmpty();
        assertThat(reloader.current("client").getSerialNumber())
                .isEqualTo(first.certificate().getSerialNumber());
    }

    @Test
    void aReloadOnDemandSaysWhatHappenedToEachPair(@TempDir Path dir) throws Exception {
        var first = leaf(Instant.now().plus(Duration.ofDays(30)));
        var reloader = watching(dir, first);
        assertThat(reloader.reloadAll()).singleElement().asString().startsWith("client: unchanged (CN=gateway");

        var expired = CertificateBuilder.leaf("gateway", root)
                .serverAuth()
                .validFrom(Instant.now().minus(Duration.ofDays(9)))
                .validUntil(Instant.now().minus(Duration.ofDays(1)))
                .build();
        write(dir, expired, expired);
        assertThat(reloader.reloadAll())
                .singleElement()
                .asString()
                .startsWith("client: refused (expired: ")
                .contains("still serving CN=gateway, serial "
                        + first.certificate().getSerialNumber().toString(16));

        var renewed = leaf(Instant.now().plus(Duration.ofDays(90)));
        write(dir, renewed, renewed);
        assertThat(reloader.reloadAll())
                .singleElement()
                .asString()
                .startsWith("client: reloaded CN=gateway, serial "
                        + renewed.certificate().getSerialNumber().toString(16));
        assertThat(applied).hasSize(1);
    }

    private CertificateReloader watching(Path dir, IssuedCertificate first) throws Exception {
        write(dir, first, first);
        var reloader =
                new CertificateReloader(Clock.systemUTC(), (name, outcome) -> outcomes.add(name + " " + outcome));
        reloader.register(
                "client",
                dir.resolve("cert.pem"),
                dir.resolve("key.pem"),
                KeyMaterial.read(dir.resolve("cert.pem"), dir.resolve("key.pem")),
                applied::add);
        return reloader;
    }

    private IssuedCertificate leaf(Instant notAfter) {
        return CertificateBuilder.leaf("gateway", root)
                .serverAuth()
                .dnsNames("localhost")
                .validUntil(notAfter)
                .build();
    }

    private static void write(Path dir, IssuedCertificate certificate, IssuedCertificate keyOf) throws Exception {
        PemFiles.writeCertificates(dir.resolve("cert.pem"), List.of(certificate.certificate()));
        PemFiles.writePrivateKey(dir.resolve("key.pem"), keyOf.privateKey());
    }
}
