package org.opencmg.pki;

import java.time.Clock;
import java.time.Instant;
import java.util.Objects;

/**
 * @param eku             which key purpose the leaf must have
 * @param checkRevocation whether every certificate of the path must be covered by a current CRL
 * @param at              the instant at which validity periods and CRLs are judged
 * @param revocationMode  what a CRL that cannot be obtained does (only when checkRevocation)
 * @param maxChainDepth   the most certificates a path may have, leaf included, anchor excluded
 */
public record ValidationOptions(
        EkuRequirement eku, boolean checkRevocation, Instant at, RevocationMode revocationMode, int maxChainDepth) {

    /** The default maximum chain depth: deeper PKIs do not occur in practice. */
    public static final int DEFAULT_MAX_CHAIN_DEPTH = 8;
    /** Hard limit of the setting, whatever an admin types. */
    public static final int LIMIT_MAX_CHAIN_DEPTH = 16;

    public ValidationOptions {
        Objects.requireNonNull(eku, "eku");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(revocationMode, "revocationMode");
        if (maxChainDepth < 1 || maxChainDepth > LIMIT_MAX_CHAIN_DEPTH) {
            throw new IllegalArgumentException(
                    "max chain depth must be 1 to " + LIMIT_MAX_CHAIN_DEPTH + ", not " + maxChainDepth);
        }
    }

    /** Hard revocation mode, default depth. */
    public ValidationOptions(EkuRequirement eku, boolean checkRevocation, Instant at) {
        this(eku, checkRevocation, at, RevocationMode.HARD, DEFAULT_MAX_CHAIN_DEPTH);
    }

    public ValidationOptions withRevocationMode(RevocationMode mode) {
        return new ValidationOptions(eku, checkRevocation, at, mode, maxChainDepth);
    }

    public ValidationOptions withMaxChainDepth(int depth) {
        return new ValidationOptions(eku, checkRevocation, at, revocationMode, depth);
    }

    /** The usual case for device certificates: client authentication, judged now. */
    public static ValidationOptions clientAuthNow(boolean checkRevocation, Clock clock) {
        return new ValidationOptions(EkuRequirement.CLIENT, checkRevocation, clock.instant());
    }
}
