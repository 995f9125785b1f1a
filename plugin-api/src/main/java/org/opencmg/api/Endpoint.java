package org.opencmg.api;

import java.util.Collections;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * One published URL mapping of a site role.
 *
 * @param name            short name ("ccm_system")
 * @param externalPath    the path prefix devices use ("/CCM_Proxy_MutualAuth/72057594037927939/CCM_System")
 * @param internalUrl     where the connection point sends it ("https://mp.corp.example/CCM_System"), or
 *                        {@link #GATEWAY_NOTIFICATIONS}: the gateway holds the request itself
 * @param methods         HTTP methods allowed, upper case (custom verbs such as CCM_POST included)
 * @param maxRequestBytes the largest request body accepted
 * @param authMethods     ids of the {@link Authenticator}s whose devices may use it
 */
public record Endpoint(
        String name,
        String externalPath,
        String internalUrl,
        Set<String> methods,
        long maxRequestBytes,
        Set<String> authMethods) {

    /**
     * The internal URL of a client notification endpoint: a device's request there (a WebSocket,
     * or a long poll) is held by the gateway instance it reached, never forwarded; the site's
     * notifications come to it through the connection points' channels. No socket on the
     * premises is held per device.
     */
    public static final String GATEWAY_NOTIFICATIONS = "gateway:notifications";

    public Endpoint {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(externalPath, "externalPath");
        Objects.requireNonNull(internalUrl, "internalUrl");
        // Sorted, so listings and comparisons are stable.
        methods = Collections.unmodifiableSortedSet(new TreeSet<>(methods));
        authMethods = Collections.unmodifiableSortedSet(new TreeSet<>(authMethods));
        if (maxRequestBytes < 0) {
            throw new IllegalArgumentException("maxRequestBytes < 0");
        }
    }

    /** True for a {@link #GATEWAY_NOTIFICATIONS} endpoint. */
    public boolean heldByGateway() {
        return GATEWAY_NOTIFICATIONS.equals(internalUrl);
    }
}
