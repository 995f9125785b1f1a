package org.opencmg.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.security.cert.X509CRL;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CrlCacheTest {

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        private volatile Instant now;

        ManualClock(Instant start) {
            this.now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

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

    final Instant start = Instant.now();
    final ManualClock clock = new ManualClock(start);
    final IssuedCertificate ca = CertificateBuilder.rootCa("Cache CA").build();
    final X509CRL crl =
            CrlBuilder.issuedBy(ca).nextUpdate(start.plus(Duration.ofHours(1))).build();
    CrlServer cdp;
    CrlCache cache;
    IssuedCertificate leaf;

    @BeforeEach
    void setUp() throws IOException {
        cdp = new CrlServer();
        cache = new CrlCache(Duration.ofSeconds(5), Duration.ofMinutes(1), clock);
        leaf = CertificateBuilder.leaf("leaf", ca)
                .crlDistributionPoint(cdp.url("ca.crl"))
                .build();
    }

    @AfterEach
    void tearDown() {
        cdp.close();
    }

    @Test
    void certificateWithoutDistributionPointGivesNothing() {
        assertThat(cache.crlsFor(CertificateBuilder.leaf("plain", ca).build().certificate(), ca.certificate(), start))
                .isEmpty();
        assertThat(cdp.fetches()).isZero();
    }

    @Test
    void crlIsKeptUntilItsNextUpdateThenFetchedAgain() {
        cdp.serve(crl);

        assertThat(cache.crlsFor(leaf.certificate(), ca.certificate(), start)).containsExactly(crl);
        clock.advance(Duration.ofMinutes(59));
        assertThat(cache.crlsFor(leaf.certificate(), ca.certificate(), start)).containsExactly(crl);
        assertThat(cdp.fetches()).isEqualTo(1);

        X509CRL newer = CrlBuilder.issuedBy(ca)
                .nextUpdate(start.plus(Duration.ofHours(3)))
                .build();
        cdp.serve(newer);
        clock.advance(Duration.ofMinutes(2));
        assertThat(cache.crlsFor(leaf.certificate(), ca.certificate(), start)).containsExactly(newer);
        assertThat(cdp.fetches()).isEqualTo(2);
        assertThat(cache.status())
                .singleElement()
                .satisfies(s -> assertThat(s.nextUpdate())
                        .isEqualTo(newer.getNextUpdate().toInstant()));
    }

    @Test
    void staleCrlIsDroppedWhenTheRefetchFails() {
        cdp.serve(crl);
        assertThat(cache.crlsFor(leaf.certificate(), ca.certificate(), start)).hasSize(1);

        cdp.fail();
        clock.advance(Duration.ofHours(2));

        assertThat(cache.crlsFor(leaf.certificate(), ca.certificate(), start)).isEmpty();
        assertThat(cache.status()).singleElement().satisfies(s -> {
            assertThat(s.lastError()).contains("503");
            assertThat(s.nextUpdate()).isNull();
        });
    }

    @Test
    void failedFetchIsRetriedOnlyAfterTheBackoff() {
        cdp.fail();
        assertThat(cache.crlsFor(leaf.certificate(), ca.certificate(), start)).isEmpty();
        clock.advance(Duration.ofSeconds(59));
        assertThat(cache.crlsFor(leaf.certificate(), ca.certificate(), start)).isEmpty();
        assertThat(cdp.fetches()).isEqualTo(1);

        cdp.serve(crl);
        clock.advance(Duration.ofSeconds(2));
        assertThat(cache.crlsFor(leaf.certificate(), ca.certificate(), start)).containsExactly(crl);
        assertThat(cdp.fetches()).isEqualTo(2);
        assertThat(cache.status())
                .singleElement()
                .satisfies(s -> assertThat(s.lastError()).isNull());
    }

    @Test
    void pemEncodedCrlIsAccepted() throws Exception {
        java.nio.file.Path tmp = java.nio.file.Files.createTempFile("crl", ".pem");
        try {
            PemFiles.writeCrl(tmp, crl);
            cdp.serveRaw(java.nio.file.Files.readAllBytes(tmp));
        } finally {
            java.nio.file.Files.delete(tmp);
        }

        assertThat(cache.crlsFor(leaf.certificate(), ca.certificate(), start)).containsExactly(crl);
    }

    @Test
    void garbageIsAFailedFetch() {
        cdp.serveRaw("<html>not a CRL</html>".getBytes());

        assertThat(cache.crlsFor(leaf.certificate(), ca.certificate(), start)).isEmpty();
        assertThat(cache.status())
                .singleElement()
                .satisfies(s -> assertThat(s.lastError()).contains("no CRL"));
    }

    @Test
    void concurrentCallersShareOneFetch() throws Exception {
        cdp.serve(crl);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<List<X509CRL>>> calls = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                calls.add(() -> cache.crlsFor(leaf.certificate(), ca.certificate(), start));
            }
            for (Future<List<X509CRL>> f : pool.invokeAll(calls)) {
                assertThat(f.get()).containsExactly(crl);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(cdp.fetches()).isEqualTo(1);
    }

    // ---- review L1: what a network attacker between the gateway and a distribution point can serve ----

    @Test
    void aCrlSignedByAnotherKeyIsNotUsed() {
        IssuedCertificate impostor = CertificateBuilder.rootCa("Cache CA").build(); // same name, another key
        cdp.serve(CrlBuilder.issuedBy(impostor)
                .nextUpdate(start.plus(Duration.ofDays(30000)))
                .build());

        assertThat(cache.crlsFor(leaf.certificate(), ca.certificate(), start)).isEmpty();
        assertThat(cache.status())
                .singleElement()
                .satisfies(s -> assertThat(s.lastError()).contains("not signed by"));

        cdp.serve(crl); // the genuine one is taken once the backoff is over: nothing was pinned
        clock.advance(Duration.ofMinutes(2));
        assertThat(cache.crlsFor(leaf.certificate(), ca.certificate(), start)).containsExactly(crl);
    }

    @Test
    void anOlderCrlNeverReplacesANewerOne() {
        X509CRL older = CrlBuilder.issuedBy(ca)
                .thisUpdate(start.minus(Duration.ofDays(7)))
                .nextUpdate(start.plus(Duration.ofDays(365)))
                .build();
        assertThat(CrlCache.crlNumber(older)).isLessThan(CrlCache.crlNumber(crl));
        cdp.serve(crl);
        assertThat(cache.crlsFor(leaf.certificate(), ca.certificate(), start)).containsExactly(crl);

        cdp.serve(older); // replayed: it does not show last week's revocations... or this week's
        clock.advance(Duration.ofMinutes(61));
        assertThat(cache.crlsFor(leaf.certificate(), ca.certificate(), start)).isEmpty();
        assertThat(cache.status())
                .singleElement()
                .satisfies(s -> assertThat(s.lastError()).contains("older than"));

        // Nor through another distribution point of the same issuer.
        var other = CertificateBuilder.leaf("other", ca)
                .crlDistributionPoint(cdp.url("mirror.crl"))
                .build();
        assertThat(cache.crlsFor(other.certificate(), ca.certificate(), start)).isEmpty();
    }

    @Test
    void aCrlIsTrustedAtMost24HoursWithoutBeingFetchedAgain() {
        X509CRL longLived = CrlBuilder.issuedBy(ca)
                .nextUpdate(start.plus(Duration.ofDays(30000)))
                .build();
        cdp.serve(longLived);
        assertThat(cache.crlsFor(leaf.certificate(), ca.certificate(), start)).containsExactly(longLived);
        clock.advance(Duration.ofHours(23));
        cache.crlsFor(leaf.certificate(), ca.certificate(), start);
        assertThat(cdp.fetches()).isEqualTo(1);

        clock.advance(Duration.ofHours(1).plusSeconds(1));
        assertThat(cache.crlsFor(leaf.certificate(), ca.certificate(), start)).containsExactly(longLived);
        assertThat(cdp.fetches()).isEqualTo(2);
    }

    @Test
    void aTricklingResponseTimesOutWithinTheDeadline() {
        var quick = new CrlCache(Duration.ofSeconds(2), Duration.ofMinutes(1), clock);
        cdp.serve(crl); // some hundreds of bytes at 5 a second: a minute or more
        cdp.trickle();
        long t0 = System.nanoTime();
        assertThat(quick.crlsFor(leaf.certificate(), ca.certificate(), start)).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
        assertThat(quick.status())
                .singleElement()
                .satisfies(s -> assertThat(s.lastError()).contains("timed out"));
    }

    @Test
    void redirectsAreFollowedToHttpOnly() {
        cdp.serve(crl);
        cdp.redirectTo(cdp.url("moved.crl"));
        assertThat(cache.crlsFor(leaf.certificate(), ca.certificate(), start)).containsExactly(crl);

        var elsewhere = CertificateBuilder.leaf("elsewhere", ca)
                .crlDistributionPoint(cdp.url("file.crl"))
                .build();
        cdp.redirectTo("file:///etc/passwd");
        assertThat(cache.crlsFor(elsewhere.certificate(), ca.certificate(), start))
                .isEmpty();
        assertThat(cache.status())
                .filteredOn(s -> s.url().endsWith("file.crl"))
                .singleElement()
                .satisfies(s -> assertThat(s.lastError()).contains("file URL refused"));
    }
}
