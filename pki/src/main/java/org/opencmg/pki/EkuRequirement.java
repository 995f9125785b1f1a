package org.opencmg.pki;

/** Which extended key usage the leaf certificate must carry. */
public enum EkuRequirement {
    /** id-kp-clientAuth (1.3.6.1.5.5.7.3.2) must be listed; a leaf without an EKU extension is refused. */
    CLIENT("1.3.6.1.5.5.7.3.2"),
    /** id-kp-serverAuth (1.3.6.1.5.5.7.3.1) must be listed; a leaf without an EKU extension is refused. */
    SERVER("1.3.6.1.5.5.7.3.1"),
    /** No EKU check at all. */
    ANY(null);

    private final String oid;

    EkuRequirement(String oid) {
        this.oid = oid;
    }

    /** The required key purpose OID, or null for {@link #ANY}. */
    public String oid() {
        return oid;
    }
}
