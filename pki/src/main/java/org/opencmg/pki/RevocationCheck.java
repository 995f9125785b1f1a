package org.opencmg.pki;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.jcajce.PKIXExtendedParameters;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Step 6: every certificate of the path (the anchor excepted) must be covered by a current CRL.
 *
 * <p>The RFC 5280 section 6.3 algorithm is BouncyCastle's PKIX validator's, not ours: it takes CRLs signed by
 * another key than the one that issued the certificate (CA key rollover, a separate CRL-signing certificate),
 * validating the CRL signer's own path to the same trust anchor; indirect CRLs (the indirectCRL flag and
 * certificate issuer entries); issuing distribution point scope (names, reasons, only-user/only-CA); delta CRLs;
 * unknown critical CRL and entry extensions. BouncyCastle never fetches CRLs itself unless a system property asks
 * it to, so every CRL comes from the upload or {@link CrlSource}, with its timeouts and backoff. Its failures are
 * mapped onto the gateway's reasons: {@code revoked} or {@code revocation_unknown}.
 *
 * <p>Hard mode: a status that cannot be determined refuses. Soft mode: a certificate for which no CRL of its
 * issuer (or of the CRL issuer its distribution point names) could be obtained at all passes with a warning; the
 * certificates above it have been checked by then (the algorithm runs from the anchor down), those below it are
 * checked against the direct CRLs of their issuer.
 */
final class RevocationCheck {

    private static final Logger LOG = LoggerFactory.getLogger(RevocationCheck.class);
    static final Provider BC = new BouncyCastleProvider();
    /** A soft-mode pass is logged at most once per issuer per interval (it is counted every time). */
    private static final Duration LOG_INTERVAL = Duration.ofMinutes(10);
    /** The JDK tolerates a CRL published up to 15 minutes "in the future" (CA clock ahead); so do we. */
    private static final Duration CLOCK_SKEW = Duration.ofMinutes(15);

    private final CrlSource source;
    private final AtomicLong softPasses = new AtomicLong();
    private final Map<String, Instant> lastLogged = new ConcurrentHashMap<>();

    RevocationCheck(CrlSource source) {
        this.source = source;
    }

    /** What the check returns when the path is acceptable: the CRLs it had and what passed only in soft mode. */
    record Outcome(List<ValidationResult.CrlUsed> crls, List<String> warnings) {}

    long softPasses() {
        return softPasses.get();
    }

    Outcome check(PathBuilder.BuiltPath built, TrustMaterial trust, Instant at, RevocationMode mode)
            throws RefusedException {
        List<X509Certificate> path = built.path();
        // Possible CRL signers: the validated path, the anchor and what the admin uploaded. BouncyCastle still
        // validates the signer's path to the anchor; this list only decides which fetched CRLs are worth keeping.
        List<X509Certificate> known = new ArrayList<>(path.subList(1, path.size()));
        known.add(built.anchor());
        known.addAll(trust.intermediates());
        known.addAll(trust.roots());
        // By identity, not X509CRL.equals: that hashes the whole encoding, megabytes for a large CA's CRL.
        Map<X509CRL, String> crls = new IdentityHashMap<>();
        List<X509CRL> order = new ArrayList<>();
        trust.crls().forEach(crl -> {
            if (crls.putIfAbsent(crl, "uploaded") == null) {
                order.add(crl);
            }
        });
        // Only reached for paths that already validated, so only URLs of trusted CAs' certificates are fetched.
        for (int i = 0; i < path.size(); i++) {
            X509Certificate issuer = i + 1 < path.size() ? path.get(i + 1) : built.anchor();
            List<X509Certificate> signers = new ArrayList<>();
            signers.add(issuer);
            known.stream().filter(c -> c != issuer).forEach(signers::add);
            for (CrlSource.Fetched f : fetched(path.get(i), signers, at)) {
                if (crls.putIfAbsent(f.crl(), f.url()) == null) {
                    order.add(f.crl());
                }
            }
        }
        List<String> unusable = new ArrayList<>();
        order.removeIf(crl -> {
            String why = unusable(crl);
            if (why != null) {
                unusable.add(
                        "the CRL of " + crl.getIssuerX500Principal().getName() + " (" + crls.get(crl) + ") " + why);
            }
            return why != null;
        });
        List<ValidationResult.CrlUsed> used = used(built, order, crls);
        try {
            validate(built, path, known, order, at);
            return new Outcome(used, List.of());
        } catch (CertPathValidatorException e) {
            RefusedException refusal = refusal(e, built, trust, at, unusable);
            if (mode == RevocationMode.SOFT && refusal.refused().reason() == RefusalReason.REVOCATION_UNKNOWN) {
                X509Certificate cert = PkixCheck.concerned(e, built);
                if (!obtainable(cert, order)) {
                    try {
                        return softPass(built, path.indexOf(cert), order, used, refusal, at);
                    } catch (RefusedException revoked) {
                        throw revoked.withCrls(used);
                    }
                }
            }
            throw refusal.withCrls(used);
        }
    }

    private static void validate(
            PathBuilder.BuiltPath built,
            List<X509Certificate> path,
            List<X509Certificate> known,
            Collection<X509CRL> crls,
            Instant at)
            throws CertPathValidatorException {
        try {
            List<Object> store = new ArrayList<>(new LinkedHashSet<>(path));
            known.stream().filter(c -> !path.contains(c)).distinct().forEach(store::add);
            // BouncyCastle's own CRL objects: the JDK's look entries up by (CRL issuer, serial), so an indirect
            // CRL's entries for another CA are invisible through getRevokedCertificate(serial).
            for (X509CRL crl : crls) {
                store.add(BC_CRLS.get(crl, RevocationCheck::bcCrl));
            }
            PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(built.anchor(), null)));
            params.setDate(Date.from(at));
            params.setRevocationEnabled(true);
            params.addCertPathChecker(new EkuCheck.ProcessedMarker());
            params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(store)));
            PKIXExtendedParameters extended = new PKIXExtendedParameters.Builder(params)
                    .setUseDeltasEnabled(true)
                    .build();
            CertPathValidator.getInstance("PKIX", BC)
                    .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), extended);
        } catch (CertPathValidatorException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new CertPathValidatorException("revocation checking could not run: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // BouncyCastle 1.86 fails with a NullPointerException when the CRLs at hand cover only some reasons.
            throw new CertPathValidatorException("revocation status could not be determined (" + e + ")", e, null, -1);
        }
    }

    /**
     * A large CRL is parsed once per object, not per validation: uploaded CRLs are the same objects for as long as
     * the trust snapshot lives, fetched ones for as long as {@link CrlCache} keeps them. Weak keys: by identity,
     * gone with the original.
     */
    private static final Cache<X509CRL, X509CRL> BC_CRLS =
            Caffeine.newBuilder().weakKeys().maximumSize(4_096).build();

    private static X509CRL bcCrl(X509CRL crl) {
        try {
            CertificateFactory bcFactory = CertificateFactory.getInstance("X.509", BC);
            return new KnownEntryExtensionsCrl(
                    (X509CRL) bcFactory.generateCRL(new ByteArrayInputStream(crl.getEncoded())));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(
                    "CRL of " + crl.getIssuerX500Principal().getName() + " cannot be re-read: " + e.getMessage(), e);
        }
    }

    /**
     * Soft mode, the CRL of {@code index} could not be obtained. Everything above it was checked by BouncyCastle
     * before it stopped there; below it, the direct CRLs of each issuer that are at hand still revoke.
     */
    private Outcome softPass(
            PathBuilder.BuiltPath built,
            int index,
            Collection<X509CRL> crls,
            List<ValidationResult.CrlUsed> used,
            RefusedException refusal,
            Instant at)
            throws RefusedException {
        List<X509Certificate> path = built.path();
        List<String> warnings = new ArrayList<>();
        for (int i = index; i >= 0; i--) {
            X509Certificate cert = path.get(i);
            X509Certificate issuer = i + 1 < path.size() ? path.get(i + 1) : built.anchor();
            List<X509CRL> direct =
                    crls.stream().filter(crl -> current(crl, issuer, at)).toList();
            for (X509CRL crl : direct) {
                X509CRLEntry entry = crl.getRevokedCertificate(cert);
                if (entry != null && !entry.getRevocationDate().toInstant().isAfter(at)) {
                    throw new RefusedException(
                            RefusalReason.REVOKED,
                            "certificate " + Certs.subject(cert) + " (serial "
                                    + cert.getSerialNumber().toString(16).toUpperCase() + ") was revoked by "
                                    + Certs.issuer(cert)
                                    + " on " + entry.getRevocationDate().toInstant());
                }
            }
            if (direct.isEmpty() && !obtainable(cert, crls)) {
                warnings.add("revocation of " + Certs.subject(cert) + " not checked (soft mode): no CRL of "
                        + Certs.issuer(cert) + " could be obtained");
                softPasses.incrementAndGet();
                String issuerName = Certs.issuer(cert);
                Instant last = lastLogged.get(issuerName);
                Instant now = Instant.now();
                if (last == null || now.isAfter(last.plus(LOG_INTERVAL))) {
                    lastLogged.put(issuerName, now);
                    LOG.warn(
                            "soft revocation mode: certificates of {} pass unchecked, {} (logged once per {})",
                            issuerName,
                            refusal.getMessage(),
                            LOG_INTERVAL);
                }
            }
        }
        return new Outcome(used, warnings);
    }

    /** Whether any CRL at hand is from the certificate's issuer or from a CRL issuer its distribution points name. */
    private static boolean obtainable(X509Certificate cert, Collection<X509CRL> crls) {
        Set<String> issuers = new LinkedHashSet<>(CrlDistributionPoints.crlIssuers(cert));
        issuers.add(cert.getIssuerX500Principal().getName());
        return crls.stream()
                .anyMatch(crl -> issuers.contains(crl.getIssuerX500Principal().getName()));
    }

    private static boolean current(X509CRL crl, X509Certificate issuer, Instant at) {
        return Certs.crlSignedBy(crl, issuer)
                && !crl.getThisUpdate().toInstant().isAfter(at.plus(CLOCK_SKEW))
                && (crl.getNextUpdate() == null
                        || crl.getNextUpdate().toInstant().isAfter(at));
    }

    private List<CrlSource.Fetched> fetched(X509Certificate c, List<X509Certificate> signers, Instant at) {
        try {
            return source.fetch(c, signers, at);
        } catch (RuntimeException e) {
            LOG.warn("CRL source failed for {}: {}", Certs.subject(c), e.toString());
            return List.of();
        }
    }

    /** The CRLs of issuers the path deals with, for the CLI and logs. */
    private static List<ValidationResult.CrlUsed> used(
            PathBuilder.BuiltPath built, List<X509CRL> order, Map<X509CRL, String> sources) {
        Set<String> names = new LinkedHashSet<>();
        for (X509Certificate c : built.path()) {
            names.add(c.getIssuerX500Principal().getName());
            names.addAll(CrlDistributionPoints.crlIssuers(c));
        }
        List<ValidationResult.CrlUsed> out = new ArrayList<>();
        order.forEach(crl -> {
            String src = sources.get(crl);
            if (names.contains(crl.getIssuerX500Principal().getName())) {
                out.add(new ValidationResult.CrlUsed(
                        crl.getIssuerX500Principal().getName(),
                        CrlCache.crlNumber(crl),
                        crl.getExtensionValue(Extension.deltaCRLIndicator.getId()) != null,
                        crl.getThisUpdate().toInstant(),
                        crl.getNextUpdate() == null ? null : crl.getNextUpdate().toInstant(),
                        src));
            }
        });
        return out;
    }

    /** BouncyCastle's messages, as of 1.86, say which rule failed; the reason of its exceptions is unspecified. */
    /**
     * RFC 5280 5.2: a conforming CRL has a CRL number (5.2.3) and a non-critical authority key identifier (5.2.1).
     * One without is not relied on, so a CA whose CRLs lack them shows up as {@code revocation_unknown} naming why.
     */
    private static String unusable(X509CRL crl) {
        if (CrlCache.crlNumber(crl) == null) {
            return "has no CRL number and is not used";
        }
        Set<String> critical = crl.getCriticalExtensionOIDs();
        if (critical != null && critical.contains(Extension.authorityKeyIdentifier.getId())) {
            return "marks its authority key identifier critical and is not used";
        }
        return null;
    }

    private static RefusedException refusal(
            CertPathValidatorException e,
            PathBuilder.BuiltPath built,
            TrustMaterial trust,
            Instant at,
            List<String> unusable) {
        X509Certificate cert = PkixCheck.concerned(e, built);
        String messages = messages(e);
        if (e.getReason() == CertPathValidatorException.BasicReason.REVOKED
                || messages.contains("Certificate revocation after")) {
            return new RefusedException(
                    RefusalReason.REVOKED,
                    "certificate " + Certs.subject(cert) + " (serial "
                            + cert.getSerialNumber().toString(16).toUpperCase() + ") was revoked by "
                            + Certs.issuer(cert)
                            + ": " + revocationPart(messages));
        }
        if (revocationFailure(messages)
                || e.getReason() == CertPathValidatorException.BasicReason.UNDETERMINED_REVOCATION_STATUS) {
            String skipped = unusable.isEmpty() ? "" : "; " + String.join("; ", unusable);
            return new RefusedException(
                    RefusalReason.REVOCATION_UNKNOWN, unknownDetail(cert, trust, at) + skipped + " [" + messages + "]");
        }
        return PkixCheck.refusal(e, built, at);
    }

    private static boolean revocationFailure(String messages) {
        return messages.contains("CRL")
                || messages.contains("Certificate status could not be determined")
                || messages.contains("revocation");
    }

    private static String revocationPart(String messages) {
        int i = messages.indexOf("Certificate revocation after");
        String s = i < 0 ? messages : messages.substring(i);
        int end = s.indexOf(" <- ");
        return end < 0 ? s : s.substring(0, end);
    }

    /** The messages of the exception and its causes, outermost first. */
    static String messages(Throwable e) {
        List<String> out = new ArrayList<>();
        for (Throwable t = e; t != null && out.size() < 6; t = t.getCause()) {
            if (t.getMessage() != null && (out.isEmpty() || !out.getLast().equals(t.getMessage()))) {
                out.add(t.getMessage());
            }
        }
        return String.join(" <- ", out);
    }

    /** Says where a CRL was looked for, so the admin knows whether to upload one or fix the distribution point. */
    private static String unknownDetail(X509Certificate cert, TrustMaterial trust, Instant at) {
        List<X509CRL> uploaded = trust.crls().stream()
                .filter(crl -> crl.getIssuerX500Principal().equals(cert.getIssuerX500Principal()))
                .toList();
        String uploadedText = uploaded.isEmpty()
                ? "none uploaded"
                : uploaded.stream()
                        .map(crl -> crl.getNextUpdate() == null
                                ? "uploaded CRL without nextUpdate"
                                : "uploaded CRL valid until "
                                        + crl.getNextUpdate().toInstant())
                        .collect(Collectors.joining(", "));
        List<String> urls = CrlDistributionPoints.httpUrls(cert);
        String cdpText = urls.isEmpty()
                ? "the certificate names no http distribution point"
                : "distribution points " + String.join(", ", urls) + " gave no usable CRL";
        return "revocation status of " + Certs.subject(cert) + " unknown at " + at + ": no current CRL from "
                + Certs.issuer(cert) + " (" + uploadedText + "; " + cdpText + ")";
    }
}
