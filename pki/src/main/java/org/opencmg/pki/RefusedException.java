package org.opencmg.pki;

import java.security.cert.X509Certificate;
import java.util.List;

/** Internal control flow: a validation step refuses and the validator turns this into a {@link ValidationResult.Refused}. */
final class RefusedException extends Exception {

    private final transient ValidationResult.Refused refused;
    private transient List<ValidationResult.CrlUsed> crls = List.of();

    RefusedException(RefusalReason reason, String detail) {
        super(detail, null, false, false); // no stack trace: refusals are expected, not bugs
        this.refused = new ValidationResult.Refused(reason, detail);
    }

    ValidationResult.Refused refused() {
        return refused;
    }

    /** Records the CRLs revocation checking had when it refused. */
    RefusedException withCrls(List<ValidationResult.CrlUsed> used) {
        this.crls = List.copyOf(used);
        return this;
    }

    /** The refusal with the path built so far and the CRLs at hand, for the CLI. */
    ValidationResult.Refused refused(List<X509Certificate> path) {
        return new ValidationResult.Refused(refused.reason(), refused.detail(), path, crls);
    }
}
