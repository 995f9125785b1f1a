package org.opencmg.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.pki.CertificateBuilder;
import org.opencmg.pki.IssuedCertificate;
import org.opencmg.pki.Thumbprints;

/** An admin certificate, once removed, no longer signs anyone in: however its thumbprint was typed. */
class AdminCertificatesTest {

    private static final Instant NOW = Instant.parse("2026-12-02T10:00:00Z");
    private static final IssuedCertificate ROOT =
            CertificateBuilder.rootCa("Admin Root CA").build();
    private static final IssuedCertificate ADMIN =
            CertificateBuilder.leaf("console-admin", ROOT).clientAuth().build();

    @TempDir
    Path dir;

    Store store;
    AdminCertificates certs;

    @BeforeEach
    void open() {
        store = Store.open(dir);
        certs = new AdminCertificates(store.jdbc);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private void addAdmin(String thumbprint) {
        certs.add(new AdminCertificates.AdminCertificate(
                thumbprint,
                "admin",
                "CN=console-admin",
                ADMIN.certificate().getNotAfter().toInstant(),
                NOW,
                "setup"));
    }

    /** What the console's sign-in asks: the presented certificate's thumbprint, as Thumbprints makes it. */
    private boolean signsIn() {
        return certs.find(Thumbprints.sha256(ADMIN.certificate())).isPresent();
    }

    @Test
    void removalByTheLowerCaseThumbprintEndsCertificateSignIn() {
        String thumbprint = Thumbprints.sha256(ADMIN.certificate());
        addAdmin(thumbprint);
        assertThat(signsIn()).isTrue();

        assertThat(certs.remove(thumbprint.toLowerCase(Locale.ROOT))).isTrue();

        assertThat(signsIn()).isFalse();
        assertThat(certs.list()).isEmpty();
    }

    @Test
    void removalByTheUpperCaseThumbprintAsListedEndsCertificateSignIn() {
        addAdmin(Thumbprints.sha256(ADMIN.certificate()));
        String listed = certs.list().getFirst().thumbprintSha256();

        assertThat(certs.remove(listed)).isTrue();

        assertThat(signsIn()).isFalse();
    }

    @Test
    void aThumbprintTypedWithColonsInLowerCaseIsStoredInTheCanonicalForm() {
        String canonical = Thumbprints.sha256(ADMIN.certificate());
        addAdmin(HexFormat.ofDelimiter(":").formatHex(HexFormat.of().parseHex(canonical)));

        assertThat(certs.list())
                .extracting(AdminCertificates.AdminCertificate::thumbprintSha256)
                .containsExactly(canonical);
        assertThat(AdminCertificates.canonical(" " + canonical.toLowerCase(Locale.ROOT) + " "))
                .isEqualTo(canonical);
        assertThat(signsIn()).isTrue();
        assertThat(certs.remove(canonical.toLowerCase(Locale.ROOT))).isTrue();
        assertThat(signsIn()).isFalse();
    }

    @Test
    void removingAnUnknownThumbprintRemovesNothing() {
        addAdmin(Thumbprints.sha256(ADMIN.certificate()));

        assertThat(certs.remove("00".repeat(32))).isFalse();

        assertThat(signsIn()).isTrue();
    }
}
