package org.opencmg.api;

import java.time.Instant;
import java.util.Arrays;

/**
 * One version of a secret. {@link #toString()} never shows the value; copy it out with
 * {@link #bytes()} only where it is used.
 *
 * @param validUntil null while active; for an earlier version, the end of its overlap period
 */
public record SecretValue(String name, int version, Instant createdAt, Instant validUntil, byte[] value) {

    public byte[] bytes() {
        return value.clone();
    }

    @Override
    public String toString() {
        return "SecretValue[" + name + " v" + version + ", created " + createdAt + ", value hidden]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SecretValue s
                && s.name.equals(name)
                && s.version == version
                && Arrays.equals(s.value, value);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + version;
    }
}
