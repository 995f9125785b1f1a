package org.opencmg.pki;

/** Internal control flow: a validation step refuses and the validator turns this into a {@link ValidationResult.Refused}. */
final class RefusedException extends Exception {

    private final transient ValidationResult.Refused refused;

    RefusedException(RefusalReason reason, String detail) {
        super(detail, null, false, false);   // no stack trace: refusals are expected, not bugs
        this.refused = new ValidationResult.Refused(reason, detail);
    }

    ValidationResult.Refused refused() {
        return refused;
    }
}
