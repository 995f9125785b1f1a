package org.opencmg.pki;

import java.time.Clock;
import java.time.Instant;
import java.util.Objects;

/**
 * @param eku             which key purpose the leaf must have
 * @param checkRevocation whether every certificate of the path must be covered by a current CRL
 * @param at              the instant at which validity periods and CRLs are judged
 */
public record ValidationOptions(EkuRequirement eku, boolean checkRevocation, Instant at) {

    public ValidationOptions {
        Objects.requireNonNull(eku, "eku");
        Objects.requireNonNull(at, "at");
    }

    /** The usual case for device certificates: client authentication, judged now. */
    public static ValidationOptions clientAuthNow(boolean checkRevocation, Clock clock) {
        return new ValidationOptions(EkuRequirement.CLIENT, checkRevocation, clock.instant());
    }
}
