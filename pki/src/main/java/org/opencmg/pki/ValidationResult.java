package org.opencmg.pki;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/** Outcome of {@link CertificateValidator#validate}. */
public sealed interface ValidationResult {

    /**
     * @param path   the validated path, leaf first, anchor excluded
     * @param anchor the trusted root that anchors it
     */
    record Valid(List<X509Certificate> path, X509Certificate anchor) implements ValidationResult {
        public Valid {
            path = List.copyOf(path);
            Objects.requireNonNull(anchor, "anchor");
        }

        public X509Certificate leaf() {
            return path.getFirst();
        }
    }

    /**
     * @param reason machine-readable reason
     * @param detail a sentence for logs and the CLI, naming the certificate concerned
     */
    record Refused(RefusalReason reason, String detail) implements ValidationResult {
        public Refused {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(detail, "detail");
        }
    }

    default boolean isValid() {
        return this instanceof Valid;
    }
}
