package org.opencmg.pki;

import org.opencmg.api.Refusal;

/**
 * Why a certificate was refused: the certificate part of the refusal catalogue. Each constant is the
 * {@link Refusal} of the same name ({@link #refusal()}, its status and code); a reason missing there
 * fails this class's initialisation, so every pki test would say so.
 */
public enum RefusalReason {
    NO_CERTIFICATE,
    UNTRUSTED_ROOT,
    INCOMPLETE_CHAIN,
    NOT_IN_CTL,
    EXPIRED,
    NOT_YET_VALID,
    WRONG_EKU,
    NOT_A_CA,
    PATH_LENGTH_EXCEEDED,
    INVALID_KEY_USAGE,
    NAME_CONSTRAINTS,
    UNKNOWN_CRITICAL_EXTENSION,
    BAD_SIGNATURE,
    INVALID_PATH,
    REVOKED,
    REVOCATION_UNKNOWN,
    /** More certificates below the root than the max-chain-depth setting allows. */
    CHAIN_TOO_DEEP,
    /** A key algorithm the gateway refuses (DSA: its parameter inheritance is not supported). */
    UNSUPPORTED_KEY,
    /** An encoding strict validators refuse: duplicate extensions, signature algorithm mismatch, v1 CA, ... */
    MALFORMED_CERTIFICATE,
    /** More name-constraint work (subtrees × names) than the cap allows. */
    NAME_CONSTRAINTS_TOO_COMPLEX,
    /** Certificate policy processing (RFC 5280 6.1.3 d-f, 6.1.5 g) left no valid policy where one is required. */
    INVALID_POLICY;

    private final Refusal refusal = Refusal.valueOf(name());

    /** The catalogue's refusal: answered with its status (403) and code. */
    public Refusal refusal() {
        return refusal;
    }

    /** lower_snake_case of the name, e.g. {@code untrusted_root}: the refusal's code. */
    public String code() {
        return refusal.code();
    }
}
