package org.opencmg.api;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An authenticated device.
 *
 * @param id         stable identity the gateway passes on to the site (e.g. certificate thumbprint)
 * @param method     the kind of credential it proved; endpoints list the kinds they accept. Usually the
 *                   {@link Authenticator#method()}; a plugin with several kinds of credential names each
 *                   (the token plugin: "token" for access tokens, "token-device", "token-bulk")
 * @param name       a human-readable name for logs (e.g. the certificate subject)
 * @param attributes further facts the method established (issuer, tenant, ...); never secrets
 */
public record Device(String id, String method, String name, Map<String, String> attributes) {

    /**
     * The attribute naming the site a device belongs to, when its credential says so: the site whose
     * role's token service registered it, the site the administrator bound its certificate's root to.
     * Sites that accept only their own devices refuse a device of another site ({@code 403 wrong_site}).
     */
    public static final String SITE = "site";

    public Device {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(method, "method");
        name = name == null ? id : name;
        attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
    }

    /** The site this device belongs to, if its credential names one ({@link #SITE}). */
    public Optional<String> site() {
        return Optional.ofNullable(attributes.get(SITE));
    }
}
