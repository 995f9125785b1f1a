package org.opencmg.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.api.ClientTrust;
import org.opencmg.pki.CertificateBuilder;
import org.opencmg.pki.CrlBuilder;
import org.opencmg.pki.IssuedCertificate;
import org.opencmg.pki.Thumbprints;

class ClientTrustStoreTest {

    private static final Instant NOW = Instant.parse("2025-02-03T04:05:06Z");
    private static final IssuedCertificate ROOT =
            CertificateBuilder.rootCa("Corp Root CA").build();
    private static final IssuedCertificate INTERMEDIATE =
            CertificateBuilder.intermediateCa("Corp Issuing CA", ROOT).build();
    private static final IssuedCertificate LEAF =
            CertificateBuilder.leaf("device1", INTERMEDIATE).clientAuth().build();

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

    /** "AB:CD:…" in lower case, the way certificate viewers print thumbprints. */
    private static String withColonsLowerCase(String hex) {
        return HexFormat.ofDelimiter(":").formatHex(HexFormat.of().parseHex(hex));
    }

    @Test
    void selfSignedCaIsStoredAsRoot() {
        var stored = store.trust.add(ROOT.certificate(), NOW);

        assertThat(stored.kind()).isEqualTo("root");
        assertThat(stored.thumbprintSha256()).isEqualTo(Thumbprints.sha256(ROOT.certificate()));
        assertThat(stored.thumbprintSha1()).isEqualTo(Thumbprints.sha1(ROOT.certificate()));
        assertThat(stored.subject()).isEqualTo("CN=Corp Root CA");
        assertThat(stored.issuer()).isEqualTo("CN=Corp Root CA");
        assertThat(stored.notAfter()).isEqualTo(ROOT.certificate().getNotAfter().toInstant());
        assertThat(store.trust.list()).containsExactly(stored);
    }

    @Test
    void caSignedByAnotherIsStoredAsIntermediate() {
        var stored = store.trust.add(INTERMEDIATE.certificate(), NOW);

        assertThat(stored.kind()).isEqualTo("intermediate");
        assertThat(stored.issuer()).isEqualTo("CN=Corp Root CA");
    }

    @Test
    void listsRootsBeforeIntermediates() {
        store.trust.add(INTERMEDIATE.certificate(), NOW);
        store.trust.add(ROOT.certificate(), NOW);

        assertThat(store.trust.list())
                .extracting(ClientTrustStore.TrustedCertificate::kind)
                .containsExactly("root", "intermediate");
    }

    @Test
    void addingTheSameCertificateTwiceKeepsOne() {
        store.trust.add(ROOT.certificate(), NOW);
        store.trust.add(ROOT.certificate(), NOW.plusSeconds(60));

        assertThat(store.trust.list())
                .singleElement()
                .extracting(ClientTrustStore.TrustedCertificate::addedAt)
                .isEqualTo(NOW.plusSeconds(60));
    }

    @Test
    void refusesACertificateThatIsNotACa() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> store.trust.add(LEAF.certificate(), NOW))
                .withMessageContaining("not a CA certificate");
        assertThat(store.trust.list()).isEmpty();
    }

    @Test
    void refusesASelfSignedCertificateWithoutBasicConstraints() {
        var notACa = CertificateBuilder.rootCa("Not a CA").noBasicConstraints().build();

        assertThatIllegalArgumentException().isThrownBy(() -> store.trust.add(notACa.certificate(), NOW));
    }

    @Test
    void removesBySha256ThumbprintWithColonsInLowerCase() {
        store.trust.add(ROOT.certificate(), NOW);
        store.trust.add(INTERMEDIATE.certificate(), NOW);

        assertThat(store.trust.remove(withColonsLowerCase(Thumbprints.sha256(ROOT.certificate()))))
                .isTrue();

        assertThat(store.trust.list())
                .extracting(ClientTrustStore.TrustedCertificate::kind)
                .containsExactly("intermediate");
    }

    @Test
    void removesBySha1ThumbprintWithColonsInLowerCase() {
        store.trust.add(INTERMEDIATE.certificate(), NOW);

        assertThat(store.trust.remove(withColonsLowerCase(Thumbprints.sha1(INTERMEDIATE.certificate()))))
                .isTrue();

        assertThat(store.trust.list()).isEmpty();
    }

    @Test
    void removesByThumbprintWithSpaces() {
        store.trust.add(ROOT.certificate(), NOW);

        assertThat(store.trust.remove(" "
                        + HexFormat.ofDelimiter(" ")
                                .formatHex(HexFormat.of().parseHex(Thumbprints.sha1(ROOT.certificate())))
                        + " "))
                .isTrue();
    }

    @Test
    void removingAnUnknownThumbprintChangesNothing() {
        store.trust.add(ROOT.certificate(), NOW);
        long before = store.revisions.current().get(StateRevisions.TRUST);

        assertThat(store.trust.remove(Thumbprints.sha256(INTERMEDIATE.certificate())))
                .isFalse();

        assertThat(store.trust.list()).hasSize(1);
        assertThat(store.revisions.current().get(StateRevisions.TRUST)).isEqualTo(before);
    }

    @Test
    void trustSurvivesReopening() {
        store.trust.add(ROOT.certificate(), NOW);
        store.trust.addToCtl(ROOT.certificate(), NOW);
        store.trust.addCrl(CrlBuilder.issuedBy(ROOT).build(), NOW);

        store.close();
        store = Store.open(dir);

        assertThat(store.trust.list()).hasSize(1);
        assertThat(store.trust.ctl()).hasSize(1);
        assertThat(store.trust.crls()).hasSize(1);
    }

    @Test
    void addsAndRemovesCtlEntries() {
        var entry = store.trust.addToCtl(ROOT.certificate(), NOW);

        assertThat(entry.thumbprintSha256()).isEqualTo(Thumbprints.sha256(ROOT.certificate()));
        assertThat(entry.subject()).isEqualTo("CN=Corp Root CA");
        assertThat(store.trust.ctl()).containsExactly(entry);

        assertThat(store.trust.removeFromCtl(withColonsLowerCase(entry.thumbprintSha256())))
                .isTrue();
        assertThat(store.trust.ctl()).isEmpty();
        assertThat(store.trust.removeFromCtl(entry.thumbprintSha256())).isFalse();
    }

    @Test
    void addingACtlEntryTwiceKeepsOne() {
        store.trust.addToCtl(ROOT.certificate(), NOW);
        store.trust.addToCtl(ROOT.certificate(), NOW);

        assertThat(store.trust.ctl()).hasSize(1);
    }

    @Test
    void storesAnUploadedCrl() throws Exception {
        X509CRL crl =
                CrlBuilder.issuedBy(ROOT).revoke(INTERMEDIATE.certificate()).build();

        var stored = store.trust.addCrl(crl, NOW);

        assertThat(stored.issuer()).isEqualTo("CN=Corp Root CA");
        assertThat(stored.sha256())
                .isEqualTo(HexFormat.of()
                        .withUpperCase()
                        .formatHex(java.security.MessageDigest.getInstance("SHA-256")
                                .digest(crl.getEncoded())));
        assertThat(stored.thisUpdate()).isEqualTo(crl.getThisUpdate().toInstant());
        assertThat(stored.nextUpdate()).isEqualTo(crl.getNextUpdate().toInstant());
        assertThat(store.trust.crls()).containsExactly(stored);
    }

    @Test
    void newerCrlReplacesTheOlderOneOfTheSameIssuer() {
        Instant t = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        X509CRL older = CrlBuilder.issuedBy(ROOT)
                .thisUpdate(t.minus(Duration.ofHours(2)))
                .build();
        X509CRL newer = CrlBuilder.issuedBy(ROOT)
                .thisUpdate(t.minus(Duration.ofMinutes(1)))
                .revoke(INTERMEDIATE.certificate())
                .build();
        X509CRL otherIssuer = CrlBuilder.issuedBy(INTERMEDIATE).build();
        store.trust.addCrl(older, NOW);
        var keptOther = store.trust.addCrl(otherIssuer, NOW);

        var replacement = store.trust.addCrl(newer, NOW);

        assertThat(store.trust.crls()).containsExactlyInAnyOrder(replacement, keptOther);
        assertThat(replacement.thisUpdate()).isEqualTo(t.minus(Duration.ofMinutes(1)));
    }

    @Test
    void aDeltaCrlAndPartitionsAreKeptBesideTheCompleteCrlOfTheSameIssuer() {
        Instant t = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        var base = store.trust.addCrl(
                CrlBuilder.issuedBy(ROOT)
                        .number(10)
                        .thisUpdate(t.minus(Duration.ofHours(1)))
                        .build(),
                NOW);
        var delta = store.trust.addCrl(
                CrlBuilder.issuedBy(ROOT)
                        .number(11)
                        .deltaOf(10)
                        .thisUpdate(t.minus(Duration.ofMinutes(30)))
                        .build(),
                NOW);
        var part = store.trust.addCrl(
                CrlBuilder.issuedBy(ROOT)
                        .distributionPoint("http://crl.example/p1.crl")
                        .thisUpdate(t.minus(Duration.ofMinutes(20)))
                        .build(),
                NOW);
        assertThat(store.trust.crls()).containsExactlyInAnyOrder(base, delta, part);

        var nextDelta = store.trust.addCrl(
                CrlBuilder.issuedBy(ROOT)
                        .number(12)
                        .deltaOf(10)
                        .thisUpdate(t.minus(Duration.ofMinutes(10)))
                        .build(),
                NOW);
        assertThat(store.trust.crls()).containsExactlyInAnyOrder(base, nextDelta, part);
    }

    @Test
    void olderCrlDoesNotReplaceANewerOneOfTheSameIssuer() {
        Instant t = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        X509CRL newer = CrlBuilder.issuedBy(ROOT)
                .thisUpdate(t.minus(Duration.ofMinutes(1)))
                .revoke(INTERMEDIATE.certificate())
                .build();
        X509CRL older = CrlBuilder.issuedBy(ROOT)
                .thisUpdate(t.minus(Duration.ofHours(2)))
                .build();
        var kept = store.trust.addCrl(newer, NOW);

        try {
            store.trust.addCrl(older, NOW);
        } catch (IllegalArgumentException refused) {
            // refusing the older CRL is as good as ignoring it
        }

        assertThat(store.trust.crls()).containsExactly(kept);
    }

    @Test
    void removesACrlBySha256() {
        var stored = store.trust.addCrl(CrlBuilder.issuedBy(ROOT).build(), NOW);

        assertThat(store.trust.removeCrl(stored.sha256().toLowerCase())).isTrue();

        assertThat(store.trust.crls()).isEmpty();
        assertThat(store.trust.removeCrl(stored.sha256())).isFalse();
    }

    @Test
    void snapshotReturnsRootsIntermediatesCtlAndCrls() {
        store.trust.add(ROOT.certificate(), NOW);
        store.trust.add(INTERMEDIATE.certificate(), NOW);
        store.trust.addToCtl(ROOT.certificate(), NOW);
        X509CRL crl =
                CrlBuilder.issuedBy(INTERMEDIATE).revoke(LEAF.certificate()).build();
        store.trust.addCrl(crl, NOW);

        ClientTrust snapshot = store.trust.snapshot(42);

        assertThat(snapshot.roots()).containsExactly(ROOT.certificate());
        assertThat(snapshot.intermediates()).containsExactly(INTERMEDIATE.certificate());
        assertThat(snapshot.ctlThumbprints()).containsExactly(Thumbprints.sha256(ROOT.certificate()));
        assertThat(snapshot.crls()).containsExactly(crl);
        assertThat(snapshot.crls().getFirst().isRevoked(LEAF.certificate())).isTrue();
        assertThat(snapshot.revision()).isEqualTo(42);
    }

    @Test
    void emptyStoreGivesAnEmptySnapshot() {
        ClientTrust snapshot = store.trust.snapshot(0);

        assertThat(snapshot.roots()).isEmpty();
        assertThat(snapshot.intermediates()).isEmpty();
        assertThat(snapshot.ctlThumbprints()).isEmpty();
        assertThat(snapshot.crls()).isEmpty();
    }

    @Test
    void everyTrustChangeBumpsTheTrustRevision() {
        long r0 = store.revisions.current().get(StateRevisions.TRUST);
        store.trust.add(ROOT.certificate(), NOW);
        long r1 = store.revisions.current().get(StateRevisions.TRUST);
        store.trust.addToCtl(ROOT.certificate(), NOW);
        long r2 = store.revisions.current().get(StateRevisions.TRUST);
        var crl = store.trust.addCrl(CrlBuilder.issuedBy(ROOT).build(), NOW);
        long r3 = store.revisions.current().get(StateRevisions.TRUST);
        store.trust.removeCrl(crl.sha256());
        long r4 = store.revisions.current().get(StateRevisions.TRUST);
        store.trust.removeFromCtl(Thumbprints.sha256(ROOT.certificate()));
        long r5 = store.revisions.current().get(StateRevisions.TRUST);
        store.trust.remove(Thumbprints.sha256(ROOT.certificate()));
        long r6 = store.revisions.current().get(StateRevisions.TRUST);

        assertThat(new long[] {r0, r1, r2, r3, r4, r5, r6}).isSorted().doesNotHaveDuplicates();
    }
}
