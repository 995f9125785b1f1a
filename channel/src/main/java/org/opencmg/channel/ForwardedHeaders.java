package org.opencmg.channel;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;

/**
 * Which headers cross the gateway. Device → site: an allow-list (deny by default) of the headers
 * the site roles use, minus anything claiming to be the gateway's own identity headers, plus those
 * identity headers set by the gateway. Site → device: everything except hop-by-hop headers.
 */
public final class ForwardedHeaders {

    /** Headers the gateway sets to tell the site who the device is. Never taken from a device. */
    public static final String DEVICE_ID = "X-OpenCMG-Device-Id";
    public static final String DEVICE_NAME = "X-OpenCMG-Device-Name";
    public static final String AUTH_METHOD = "X-OpenCMG-Auth-Method";
    public static final String CLIENT_ADDRESS = "X-OpenCMG-Client-Address";
    private static final String OWN_PREFIX = "x-opencmg-";

    private static final Set<String> REQUEST_ALLOWED = Set.of(
            "accept", "accept-encoding", "accept-language", "cache-control", "content-encoding",
            "content-language", "content-length", "content-md5", "content-range", "content-type", "date", "depth",
            "if-match", "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "pragma", "range",
            "soapaction", "translate", "user-agent",
            "ccmclientid", "ccmclientidsignature", "ccmclienttimestamp", "ccmclienttimestampsignature",
            "ccmclienttimestampssignature",
            "bits-packet-type", "bits-session-id", "bits-supported-protocols", "bits-original-request-url",
            "bits-host-id", "bits-host-id-fallback-timeout", "content-name");

    private static final Set<String> HOP_BY_HOP = Set.of(
            "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
            "proxy-authorization", "proxy-authenticate", "host", "server", "x-powered-by", "x-aspnet-version",
            "date" /* the gateway sends its own */);

    private ForwardedHeaders() {
    }

    /**
     * The device's headers that may reach the site, as [name, value] pairs. {@code Authorization}
     * passes only as a bearer token of a device that authenticated with one (token and Entra
     * devices: the management point checks the token again), never Basic, NTLM or Negotiate: the
     * site's pooled connections are shared by all devices, and its Windows authentication is not
     * a device's business.
     */
    public static List<List<String>> fromDevice(HttpFields fields, boolean bearerForSite) {
        var out = new ArrayList<List<String>>();
        for (HttpField f : fields) {
            String name = f.getName().toLowerCase(Locale.ROOT);
            if (REQUEST_ALLOWED.contains(name) && !name.startsWith(OWN_PREFIX)
                    || bearerForSite && name.equals("authorization") && isBearer(f.getValue())) {
                out.add(List.of(f.getName(), f.getValue()));
            }
        }
        return out;
    }

    private static boolean isBearer(String value) {
        return value != null && value.regionMatches(true, 0, "Bearer ", 0, 7);
    }

    /** True for a header an internal server's response may pass to the device. */
    public static boolean toDevice(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return !HOP_BY_HOP.contains(n) && !n.startsWith(OWN_PREFIX) && !n.startsWith(":");
    }

    /** True for a header the connection point may put on the internal request (the gateway chose which Authorization). */
    public static boolean toSite(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return (REQUEST_ALLOWED.contains(n) || n.startsWith(OWN_PREFIX) || n.equals("authorization")) && !HOP_BY_HOP.contains(n);
    }
}
