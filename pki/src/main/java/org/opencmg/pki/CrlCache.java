package org.opencmg.pki;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches CRLs from the http(s) distribution points named in certificates and keeps each one until its
 * nextUpdate, and never longer than {@value #MAX_TRUST_HOURS} hours without fetching it again. A CRL past that
 * is fetched again, and if that fails the stale one is dropped, not used.
 *
 * <p>A fetched CRL is used only if it is signed by the issuer of the certificate that named the distribution
 * point or by another CA certificate of the CRL's issuer name that the caller vouches for (the issuer's renewed
 * key, a CRL-signing certificate, the CRL issuer of an indirect CRL), and only if it is not older (CRL number, else
 * thisUpdate) than the newest one already accepted from that issuer for the same scope (distribution point,
 * complete or delta): a network attacker can neither pin a forged CRL nor replay an old one to hide revocations. The
 * whole fetch (connection, headers, body, at most {@value #MAX_REDIRECTS} http(s) redirects) has one deadline.
 * A failed fetch is remembered for the backoff period so a dead distribution point is not hammered by every
 * handshake, and is logged once per period. At most one fetch per URL runs at a time; callers asking for the
 * same URL meanwhile wait for it. Thread-safe.
 */
public final class CrlCache implements CrlSource {

    private static final Logger LOG = LoggerFactory.getLogger(CrlCache.class);
    /** CRLs larger than this are refused rather than read into memory. */
    private static final int MAX_CRL_BYTES = 64 * 1024 * 1024;
    /** How long to keep a CRL that has no nextUpdate (RFC 5280 requires one, but some CAs omit it). */
    private static final Duration NO_NEXT_UPDATE_TTL = Duration.ofHours(1);

    static final int MAX_TRUST_HOURS = 24;
    /** Distribution points (per issuer) whose CRLs are kept; a CRL can be large, so there is a bound. */
    static final int MAX_DISTRIBUTION_POINTS = 1_000;
    /** However far away its nextUpdate, a CRL is fetched again after this: a revocation published early is seen. */
    private static final Duration MAX_TRUST = Duration.ofHours(MAX_TRUST_HOURS);

    static final int MAX_REDIRECTS = 3;

    /** How new the newest CRL accepted from one issuer is. */
    private record Mark(BigInteger number, Instant thisUpdate) {
        static Mark of(X509CRL crl) {
            return new Mark(crlNumber(crl), crl.getThisUpdate().toInstant());
        }

        boolean newerThan(Mark other) {
            if (number != null && other.number != null) {
                return number.compareTo(other.number) > 0;
            }
            return thisUpdate.isAfter(other.thisUpdate);
        }
    }

    /** What the admin console shows per distribution point. */
    public record Status(String url, Instant fetchedAt, Instant nextUpdate, String lastError) {}

    private final Duration fetchTimeout;
    private final Duration failureBackoff;
    private final Clock clock;
    private final HttpClient http;
    /**
     * By distribution point and issuer: at most {@value #MAX_DISTRIBUTION_POINTS}, least recently used out
     * first (an entry evicted is fetched again when next needed; the rollback marks below stay).
     */
    private final Cache<String, Entry> entries =
            Caffeine.newBuilder().maximumSize(MAX_DISTRIBUTION_POINTS).build();
    /** By CRL issuer and scope ({@link #scope}): only trusted CAs reach here, so this stays small. */
    private final ConcurrentMap<String, Mark> newest = new ConcurrentHashMap<>();

    public CrlCache(Duration fetchTimeout, Duration failureBackoff) {
        this(fetchTimeout, failureBackoff, Clock.systemUTC());
    }

    /** With an explicit clock, for tests of expiry and backoff. */
    public CrlCache(Duration fetchTimeout, Duration failureBackoff, Clock clock) {
        this.fetchTimeout = Objects.requireNonNull(fetchTimeout, "fetchTimeout");
        this.failureBackoff = Objects.requireNonNull(failureBackoff, "failureBackoff");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.http = HttpClient.newBuilder()
                .connectTimeout(fetchTimeout)
                .followRedirects(HttpClient.Redirect.NEVER) // followed by hand: http(s) only, within the deadline
                .build();
    }

    @Override
    public List<X509CRL> crlsFor(X509Certificate cert, X509Certificate issuer, Instant at) {
        return fetch(cert, List.of(issuer), at).stream().map(Fetched::crl).toList();
    }

    @Override
    public List<Fetched> fetch(X509Certificate cert, List<X509Certificate> signers, Instant at) {
        List<Fetched> out = new ArrayList<>();
        String issuerId = Thumbprints.sha256(signers.getFirst());
        List<String> urls = new ArrayList<>(CrlDistributionPoints.httpUrls(cert));
        urls.addAll(CrlDistributionPoints.deltaUrls(cert));
        for (String url : urls) {
            X509CRL crl = entries.get(url + " " + issuerId, k -> new Entry(url)).current(signers);
            if (crl != null) {
                out.add(new Fetched(crl, url));
            }
        }
        return out;
    }

    public List<Status> status() {
        return entries.asMap().values().stream()
                .map(Entry::status)
                .sorted(Comparator.comparing(Status::url))
                .toList();
    }

    /** One distribution point of one issuer. Synchronized so that only one fetch per URL runs at a time. */
    private final class Entry {
        private final String url;
        private X509CRL crl;
        private Instant fetchedAt;
        private Instant expiresAt;
        private Instant failedAt;
        private String lastError;
        /** Published after each change so that status() never waits behind a running fetch. */
        private volatile Status snapshot;

        Entry(String url) {
            this.url = url;
            this.snapshot = new Status(url, null, null, null);
        }

        synchronized X509CRL current(List<X509Certificate> signers) {
            X509CRL result = refresh(signers);
            snapshot = new Status(
                    url,
                    fetchedAt,
                    crl == null
                            ? null
                            : crl.getNextUpdate() == null
                                    ? expiresAt
                                    : crl.getNextUpdate().toInstant(),
                    lastError);
            return result;
        }

        private X509CRL refresh(List<X509Certificate> signers) {
            Instant now = clock.instant();
            if (crl != null && now.isBefore(expiresAt)) {
                return crl;
            }
            crl = null; // past nextUpdate: never hand out a stale CRL, even if the refetch fails
            if (failedAt != null && now.isBefore(failedAt.plus(failureBackoff))) {
                return null;
            }
            try {
                X509CRL fetched = fetch();
                Instant next = fetched.getNextUpdate() == null
                        ? null
                        : fetched.getNextUpdate().toInstant();
                if (next != null && !now.isBefore(next)) {
                    throw new IOException("the CRL served is stale (nextUpdate " + next + ")");
                }
                if (signers.stream().noneMatch(s -> Certs.crlSignedBy(fetched, s))) {
                    throw new IOException("the CRL served (issuer "
                            + fetched.getIssuerX500Principal().getName() + ") is not signed by "
                            + Certs.subject(signers.getFirst()) + " nor by another known CA of its name");
                }
                acceptIfNotOlder(fetched);
                crl = fetched;
                fetchedAt = now;
                Instant capped = now.plus(MAX_TRUST);
                expiresAt = next == null ? now.plus(NO_NEXT_UPDATE_TTL) : next.isAfter(capped) ? capped : next;
                failedAt = null;
                lastError = null;
                return crl;
            } catch (IOException e) {
                failedAt = now;
                lastError = e.getMessage();
                LOG.warn("CRL fetch from {} failed: {} (not retried for {})", url, lastError, failureBackoff);
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }

        /** Records {@code fetched} as the issuer's newest, or refuses it if an accepted one is newer. */
        private void acceptIfNotOlder(X509CRL fetched) throws IOException {
            Mark mark = Mark.of(fetched);
            Mark kept = newest.merge(scope(fetched), mark, (held, offered) -> offered.newerThan(held) ? offered : held);
            if (kept != mark && kept.newerThan(mark)) {
                throw new IOException("the CRL served (number " + mark.number() + ", thisUpdate " + mark.thisUpdate()
                        + ") is older than one already accepted (number " + kept.number() + ", thisUpdate "
                        + kept.thisUpdate() + ")");
            }
        }

        /** GET with one deadline for everything, following at most {@value #MAX_REDIRECTS} redirects to http(s) URLs. */
        private X509CRL fetch() throws IOException, InterruptedException {
            long deadline = System.nanoTime() + fetchTimeout.toNanos();
            URI target;
            try {
                target = URI.create(url);
            } catch (IllegalArgumentException e) {
                throw new IOException("malformed URL", e);
            }
            for (int hop = 0; ; hop++) {
                HttpResponse<byte[]> response = get(target, deadline);
                int status = response.statusCode();
                if (status == 200) {
                    return PemFiles.readCrl(response.body());
                }
                String location = response.headers().firstValue("Location").orElse(null);
                if (status / 100 != 3 || location == null) {
                    throw new IOException("HTTP " + status);
                }
                if (hop == MAX_REDIRECTS) {
                    throw new IOException("more than " + MAX_REDIRECTS + " redirects");
                }
                try {
                    target = target.resolve(location);
                } catch (IllegalArgumentException e) {
                    throw new IOException("redirect to a malformed URL");
                }
                String scheme =
                        target.getScheme() == null ? "" : target.getScheme().toLowerCase(Locale.ROOT);
                if (!scheme.equals("http") && !scheme.equals("https")) {
                    throw new IOException("redirect to a " + (scheme.isEmpty() ? "relative" : scheme) + " URL refused");
                }
            }
        }

        private HttpResponse<byte[]> get(URI target, long deadline) throws IOException, InterruptedException {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IOException("timed out after " + fetchTimeout.toMillis() + " ms");
            }
            HttpRequest request;
            try {
                request = HttpRequest.newBuilder(target)
                        .timeout(Duration.ofNanos(left))
                        .GET()
                        .build();
            } catch (IllegalArgumentException e) {
                throw new IOException("malformed URL", e);
            }
            var pending = http.sendAsync(request, LimitedBody.handler(MAX_CRL_BYTES));
            try {
                return pending.get(left, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                pending.cancel(true);
                throw new IOException("timed out after " + fetchTimeout.toMillis() + " ms (body still arriving)");
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                throw new IOException(
                        cause.getClass().getSimpleName()
                                + (cause.getMessage() == null ? "" : ": " + cause.getMessage()),
                        cause);
            }
        }

        Status status() {
            return snapshot;
        }
    }

    /**
     * Complete and delta CRLs of one scope share a numbering sequence, and partitioned CRLs (one per issuing
     * distribution point) each have their own: "newest" is judged per issuer name, IDP and kind.
     */
    private static String scope(X509CRL crl) {
        byte[] idp = crl.getExtensionValue(Extension.issuingDistributionPoint.getId());
        boolean delta = crl.getExtensionValue(Extension.deltaCRLIndicator.getId()) != null;
        return crl.getIssuerX500Principal().getName() + "|"
                + (idp == null ? "" : HexFormat.of().formatHex(idp)) + "|" + (delta ? "delta" : "complete");
    }

    /** The CRL number extension's value, or null if there is none. */
    static BigInteger crlNumber(X509CRL crl) {
        byte[] ext = crl.getExtensionValue(Extension.cRLNumber.getId());
        if (ext == null) {
            return null;
        }
        try {
            return ASN1Integer.getInstance(ASN1OctetString.getInstance(ext).getOctets())
                    .getValue();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
