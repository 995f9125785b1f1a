package org.opencmg.channel;

import java.util.Locale;
import java.util.Set;

/**
 * Which headers cross the gateway. Device → site: what the endpoint's {@link HeaderPolicy} lets
 * through (deny by default), never anything claiming to be the gateway's own identity headers,
 * plus those identity headers set by the gateway. The gateway decides; the connection point passes
 * on what the gateway sent, less hop-by-hop headers. Site → device: everything except hop-by-hop
 * headers and what names the internal server.
 */
public final class ForwardedHeaders {

    /** Headers the gateway sets to tell the site who the device is. Never taken from a device. */
    public static final String DEVICE_ID = "X-OpenCMG-Device-Id";

    public static final String DEVICE_NAME = "X-OpenCMG-Device-Name";
    public static final String AUTH_METHOD = "X-OpenCMG-Auth-Method";
    public static final String CLIENT_ADDRESS = "X-OpenCMG-Client-Address";
    static final String OWN_PREFIX = "x-opencmg-";

    /** Hop-by-hop headers (RFC 9110 7.6.1 and the proxy ones): they never cross, either way. */
    private static final Set<String> HOP_BY_HOP = Set.of(
            "connection",
            "keep-alive",
            "proxy-connection",
            "te",
            "trailer",
            "transfer-encoding",
            "upgrade",
            "proxy-authorization",
            "proxy-authenticate",
            "host");

    /** What an internal server's answer says about itself, or what the gateway sets on its own answer. */
    private static final Set<String> RESPONSE_ONLY =
            Set.of("server", "x-powered-by", "x-aspnet-version", "date" /* the gateway sends its own */);

    private ForwardedHeaders() {}

    /** True for a hop-by-hop header (or Host): it is the connection's, not the message's. */
    public static boolean hopByHop(String name) {
        return HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT));
    }

    /** True for a header an internal server's response may pass to the device. */
    public static boolean toDevice(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return !HOP_BY_HOP.contains(n) && !RESPONSE_ONLY.contains(n) && !n.startsWith(OWN_PREFIX) && !n.startsWith(":");
    }

    /**
     * True for a header of the gateway's stream the connection point may put on the internal
     * request: the gateway's policy already chose them (a role's declared headers included, and
     * which Authorization), so only hop-by-hop headers and pseudo-headers stay behind.
     */
    public static boolean toSite(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return !HOP_BY_HOP.contains(n) && !n.startsWith(":");
    }
}
