package org.opencmg.plugins.pki;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.opencmg.api.AuthOutcome;
import org.opencmg.api.Authenticator;
import org.opencmg.api.ClientRequest;
import org.opencmg.api.ClientTrust;
import org.opencmg.api.Device;
import org.opencmg.api.PluginContext;
import org.opencmg.pki.CertificateValidator;
import org.opencmg.pki.CrlCache;
import org.opencmg.pki.EkuRequirement;
import org.opencmg.pki.RevocationMode;
import org.opencmg.pki.Thumbprints;
import org.opencmg.pki.TrustMaterial;
import org.opencmg.pki.ValidationOptions;
import org.opencmg.pki.ValidationResult;
import org.pf4j.Extension;

/**
 * Authenticates devices by the client certificate they presented in the TLS handshake: the chain
 * must lead to an uploaded trusted root (through uploaded or presented intermediates), the root
 * must be in the CTL when the CTL is not empty, and the leaf must pass the RFC 5280 path rules,
 * carry the client-authentication EKU and, with verify-revocation on, not be revoked.
 * A request without a client certificate is not this method's.
 */
@Extension(ordinal = 1)
public final class PkiAuthenticator implements Authenticator {

    public static final String METHOD = "pki";
    static final String VERIFY_REVOCATION = "verify-revocation";
    static final String REVOCATION_MODE = "revocation-mode";
    static final String MAX_CHAIN_DEPTH = "max-chain-depth";
    public static final String SOFT_REVOCATION_PASSES = "soft_revocation_passes";

    private final PluginContext context;
    private final CertificateValidator validator;
    private final ValidationCache cache = new ValidationCache(Duration.ofSeconds(60), 10_000);

    public PkiAuthenticator(PluginContext context) {
        this.context = context;
        this.validator = new CertificateValidator(new CrlCache(Duration.ofSeconds(5), Duration.ofSeconds(60)));
    }

    @Override
    public String method() {
        return METHOD;
    }

    @Override
    public AuthOutcome authenticate(ClientRequest request) {
        List<X509Certificate> chain = request.peerCertificates();
        if (chain.isEmpty()) {
            return AuthOutcome.NOT_MINE;
        }
        ClientTrust trust = context.clientTrust();
        boolean checkRevocation = context.settings().flag(VERIFY_REVOCATION, true);
        RevocationMode mode = revocationMode();
        int depth = maxChainDepth();
        Instant now = context.clock().instant();
        // The outcome holds the device's site: a new binding of roots to sites is a new key.
        String key =
                mode.code() + depth + ":" + context.settings().get(SITE_ROOTS).orElse("") + ":"
                        + ValidationCache.key(chain, trust.revision(), checkRevocation);
        AuthOutcome cached = cache.get(key, now);
        if (cached != null) {
            return cached;
        }
        var result = validator.validate(
                chain,
                new TrustMaterial(trust.roots(), trust.intermediates(), trust.ctlThumbprints(), trust.crls()),
                new ValidationOptions(EkuRequirement.CLIENT, checkRevocation, now, mode, depth));
        AuthOutcome outcome = switch (result) {
            case ValidationResult.Valid v ->
                new AuthOutcome.Authenticated(device(chain.getFirst(), v.anchor(), siteOf(v.anchor())));
            case ValidationResult.Refused r -> AuthOutcome.refused(r.reason().refusal(), r.detail());
        };
        cache.put(key, outcome, now, chain.getFirst().getNotAfter().toInstant());
        return outcome;
    }

    /** How many certificates passed only because of soft revocation mode (logged once per issuer per 10 min). */
    public long softRevocationPasses() {
        return validator.softRevocationPasses();
    }

    @Override
    public Map<String, Long> counters() {
        return Map.of(SOFT_REVOCATION_PASSES, softRevocationPasses());
    }

    private RevocationMode revocationMode() {
        try {
            return context.settings()
                    .get(REVOCATION_MODE)
                    .map(RevocationMode::parse)
                    .orElse(RevocationMode.HARD);
        } catch (IllegalArgumentException e) {
            return RevocationMode.HARD; // the catalog refuses other values; a hand-edited database gets the strict one
        }
    }

    private int maxChainDepth() {
        try {
            int n = context.settings()
                    .get(MAX_CHAIN_DEPTH)
                    .map(String::strip)
                    .map(Integer::parseInt)
                    .orElse(ValidationOptions.DEFAULT_MAX_CHAIN_DEPTH);
            return Math.clamp(n, 1, ValidationOptions.LIMIT_MAX_CHAIN_DEPTH);
        } catch (NumberFormatException e) {
            return ValidationOptions.DEFAULT_MAX_CHAIN_DEPTH;
        }
    }

    private static Device device(X509Certificate leaf, X509Certificate anchor, String site) {
        var attributes = new HashMap<String, String>(Map.of(
                "issuer", leaf.getIssuerX500Principal().getName(),
                "serial", leaf.getSerialNumber().toString(16),
                "root", anchor.getSubjectX500Principal().getName(),
                "not_after", leaf.getNotAfter().toInstant().toString()));
        if (site != null) {
            attributes.put(Device.SITE, site);
        }
        return new Device(
                Thumbprints.sha256(leaf), METHOD, leaf.getSubjectX500Principal().getName(), attributes);
    }

    /** The host's setting binding trusted roots to sites: "SITE:SHA256,..." (validated when it is set). */
    static final String SITE_ROOTS = "site-roots";

    private volatile Map.Entry<String, Map<String, String>> siteRoots = Map.entry("", Map.of());

    /** The site the administrator bound this trusted root to (setting site-roots), or null. */
    private String siteOf(X509Certificate anchor) {
        String value = context.settings().get(SITE_ROOTS).orElse("");
        if (value.isEmpty()) {
            return null;
        }
        var parsed = siteRoots;
        if (!parsed.getKey().equals(value)) {
            var bySha256 = new HashMap<String, String>();
            for (String pair : value.split(",")) {
                int colon = pair.indexOf(':');
                if (colon > 0) {
                    bySha256.put(
                            pair.substring(colon + 1).strip().toUpperCase(Locale.ROOT),
                            pair.substring(0, colon).strip());
                }
            }
            parsed = Map.entry(value, Map.copyOf(bySha256));
            siteRoots = parsed;
        }
        return parsed.getValue().get(Thumbprints.sha256(anchor).toUpperCase(Locale.ROOT));
    }
}
