package org.opencmg.pki;

import java.util.Locale;

/** Why a certificate was refused. {@link #code()} is stable and goes into logs, metrics and the API. */
public enum RefusalReason {
    NO_CERTIFICATE,
    UNTRUSTED_ROOT,
    INCOMPLETE_CHAIN,
    NOT_IN_CTL,
    EXPIRED,
    NOT_YET_VALID,
    WRONG_EKU,
    NOT_A_CA,
    PATH_TOO_LONG,
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

    private final String code = name().toLowerCase(Locale.ROOT);

    /** lower_snake_case of the name, e.g. {@code untrusted_root}. */
    public String code() {
        return code;
    }
}
