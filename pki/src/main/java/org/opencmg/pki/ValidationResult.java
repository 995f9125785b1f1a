package org.opencmg.pki;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/** Outcome of {@link CertificateValidator#validate}. */
public sealed interface ValidationResult {

    /**
     * @param path     the validated path, leaf first, anchor excluded
     * @param anchor   the trusted root that anchors it
     * @param crls     the CRLs revocation checking had at hand for this path (empty when not checked)
     * @param warnings what passed only because of soft revocation mode (empty in hard mode)
     */
    record Valid(List<X509Certificate> path, X509Certificate anchor, List<CrlUsed> crls, List<String> warnings)
            implements ValidationResult {
        public Valid {
            path = List.copyOf(path);
            Objects.requireNonNull(anchor, "anchor");
            crls = List.copyOf(crls);
            warnings = List.copyOf(warnings);
        }

        public Valid(List<X509Certificate> path, X509Certificate anchor) {
            this(path, anchor, List.of(), List.of());
        }

        public X509Certificate leaf() {
            return path.getFirst();
        }
    }

    /**
     * @param reason machine-readable reason
     * @param detail a sentence for logs and the CLI, naming the certificate concerned
     * @param path   the path built before the refusal, leaf first (empty if none could be built)
     * @param crls   the CRLs revocation checking had at hand (empty unless revocation was checked)
     */
    record Refused(RefusalReason reason, String detail, List<X509Certificate> path, List<CrlUsed> crls)
            implements ValidationResult {
        public Refused {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(detail, "detail");
            path = List.copyOf(path);
            crls = List.copyOf(crls);
        }

        public Refused(RefusalReason reason, String detail) {
            this(reason, detail, List.of(), List.of());
        }
    }

    /**
     * One CRL revocation checking was given for the path: what {@code cmg pki verify} prints.
     *
     * @param issuer     the CRL issuer's name
     * @param number     its CRL number (null: none)
     * @param delta      whether it is a delta CRL
     * @param thisUpdate when it was issued
     * @param nextUpdate when the next one is due (null: not said)
     * @param source     "uploaded" or the URL it was fetched from
     */
    record CrlUsed(
            String issuer, BigInteger number, boolean delta, Instant thisUpdate, Instant nextUpdate, String source) {}

    default boolean isValid() {
        return this instanceof Valid;
    }
}
