package org.opencmg.pki;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
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
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Fetches CRLs from the http(s) distribution points named in certificates and keeps each one until its
 * nextUpdate. A CRL past its nextUpdate is fetched again, and if that fails the stale one is dropped, not used.
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

    /** What the admin console shows per distribution point. */
    public record Status(String url, Instant fetchedAt, Instant nextUpdate, String lastError) {
    }

    private final Duration fetchTimeout;
    private final Duration failureBackoff;
    private final Clock clock;
    private final HttpClient http;
    private final ConcurrentMap<String, Entry> entries = new ConcurrentHashMap<>();

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
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    @Override
    public List<X509CRL> crlsFor(X509Certificate cert, Instant at) {
        List<X509CRL> out = new ArrayList<>();
        for (String url : CrlDistributionPoints.httpUrls(cert)) {
            X509CRL crl = entries.computeIfAbsent(url, Entry::new).current();
            if (crl != null) {
                out.add(crl);
            }
        }
        return out;
    }

    public List<Status> status() {
        return entries.values().stream()
                .map(Entry::status)
                .sorted(Comparator.comparing(Status::url))
                .toList();
    }

    /** One distribution point. Synchronized so that only one fetch per URL runs at a time. */
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

        synchronized X509CRL current() {
            X509CRL result = refresh();
            snapshot = new Status(url, fetchedAt, crl == null ? null : expiresAt, lastError);
            return result;
        }

        private X509CRL refresh() {
            Instant now = clock.instant();
            if (crl != null && now.isBefore(expiresAt)) {
                return crl;
            }
            crl = null;   // past nextUpdate: never hand out a stale CRL, even if the refetch fails
            if (failedAt != null && now.isBefore(failedAt.plus(failureBackoff))) {
                return null;
            }
            try {
                X509CRL fetched = fetch();
                Instant next = fetched.getNextUpdate() == null ? null : fetched.getNextUpdate().toInstant();
                if (next != null && !now.isBefore(next)) {
                    throw new IOException("the CRL served is stale (nextUpdate " + next + ")");
                }
                crl = fetched;
                fetchedAt = now;
                expiresAt = next != null ? next : now.plus(NO_NEXT_UPDATE_TTL);
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

        private X509CRL fetch() throws IOException, InterruptedException {
            HttpRequest request;
            try {
                request = HttpRequest.newBuilder(URI.create(url)).timeout(fetchTimeout).GET().build();
            } catch (IllegalArgumentException e) {
                throw new IOException("malformed URL", e);
            }
            HttpResponse<InputStream> response;
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                throw new IOException(e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()), e);
            }
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200) {
                    throw new IOException("HTTP " + response.statusCode());
                }
                byte[] bytes = body.readNBytes(MAX_CRL_BYTES + 1);
                if (bytes.length > MAX_CRL_BYTES) {
                    throw new IOException("CRL larger than " + MAX_CRL_BYTES + " bytes");
                }
                return PemFiles.readCrl(bytes);
            }
        }

        Status status() {
            return snapshot;
        }
    }
}
