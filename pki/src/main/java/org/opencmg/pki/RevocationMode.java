package org.opencmg.pki;

import java.util.Locale;

/** What a certificate whose CRL cannot be obtained gets, when revocation is checked. */
public enum RevocationMode {
    /** No current CRL refuses ({@code revocation_unknown}), as IIS does on the original gateway. */
    HARD,
    /**
     * A CRL that cannot be obtained (none uploaded, the distribution point unreachable or serving nothing usable)
     * lets the certificate pass, with a warning that is counted and logged. A CRL that is there still counts: a
     * certificate on it is refused, and a CRL that is there but fails its checks is not "unobtainable".
     */
    SOFT;

    /** "hard" or "soft", any case; IllegalArgumentException otherwise. */
    public static RevocationMode parse(String s) {
        return switch (s == null ? "" : s.strip().toLowerCase(Locale.ROOT)) {
            case "hard" -> HARD;
            case "soft" -> SOFT;
            default -> throw new IllegalArgumentException("revocation mode is hard or soft, not '" + s + "'");
        };
    }

    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }
}
