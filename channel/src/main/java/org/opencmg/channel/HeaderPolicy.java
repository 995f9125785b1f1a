package org.opencmg.channel;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;

/**
 * Which of a device's request headers reach the site through one endpoint: deny by default. A
 * header passes when it is one of the {@link #STANDARD} entity and conditional headers, or one the
 * endpoint's role declared ({@code Role.requestHeaders()}). {@code Authorization} keeps its own
 * rule (a bearer token of a token or Entra device only). Everything else is dropped, and each
 * dropped header is reported by name to a {@link Drops} sink (never its value), except the headers
 * the device's connection itself consumes ({@link #CONNECTION}), which no site ever sees.
 * Immutable; one per published endpoint, built with the mapping snapshot, so the request path does
 * no lookups.
 */
public final class HeaderPolicy {

    /** The entity and conditional headers every endpoint's site sees. */
    public static final Set<String> STANDARD = Collections.unmodifiableSet(new TreeSet<>(Set.of(
            "accept",
            "accept-charset",
            "accept-encoding",
            "accept-language",
            "cache-control",
            "content-encoding",
            "content-language",
            "content-length",
            "content-md5",
            "content-range",
            "content-type",
            "date",
            "if-match",
            "if-modified-since",
            "if-none-match",
            "if-range",
            "if-unmodified-since",
            "pragma",
            "range",
            "user-agent")));

    /**
     * Headers of the device's own connection to the gateway: consumed there, dropped without being
     * counted (Host becomes the channel's authority; every request carries it). The WebSocket
     * handshake's are the gateway's too: it answers the key itself and carries version, subprotocols
     * and extensions on the extended CONNECT stream.
     */
    public static final Set<String> CONNECTION = Set.of(
            "host",
            "connection",
            "keep-alive",
            "proxy-connection",
            "te",
            "transfer-encoding",
            "upgrade",
            "http2-settings",
            "expect",
            "sec-websocket-key",
            "sec-websocket-version",
            "sec-websocket-protocol",
            "sec-websocket-extensions");

    /** Where a policy reports the lower-case name of each header it dropped. */
    @FunctionalInterface
    public interface Drops {
        Drops NONE = name -> {};

        void dropped(String lowerCaseName);
    }

    /** The standard headers only, reporting nowhere: endpoints of no role, tests. */
    public static final HeaderPolicy STANDARD_ONLY = new HeaderPolicy(Set.of(), Drops.NONE);

    private final Set<String> roleHeaders;
    private final Drops drops;

    private HeaderPolicy(Set<String> roleHeaders, Drops drops) {
        this.roleHeaders = roleHeaders;
        this.drops = drops;
    }

    /**
     * The standard headers plus a role's declared ones (any case), reporting drops to {@code drops}.
     * A declared name that may not be declared ({@link #declarable}) is left out; see {@link #undeclarable}.
     */
    public static HeaderPolicy of(Collection<String> declared, Drops drops) {
        var names = new TreeSet<String>();
        for (String d : declared == null ? List.<String>of() : declared) {
            String n = lower(d);
            if (declarable(n)) {
                names.add(n);
            }
        }
        return new HeaderPolicy(Collections.unmodifiableSet(names), drops == null ? Drops.NONE : drops);
    }

    /** The names of {@code declared} that {@link #of} leaves out, lower case: for a warning to the plugin's author. */
    public static List<String> undeclarable(Collection<String> declared) {
        return declared == null
                ? List.of()
                : declared.stream()
                        .map(HeaderPolicy::lower)
                        .filter(n -> !declarable(n))
                        .toList();
    }

    /**
     * True for a name a role may declare: an HTTP token that is not the gateway's own
     * ({@code X-OpenCMG-*}), not {@code Authorization} (its own rule), and not a header of the
     * device's connection or a hop-by-hop header.
     */
    public static boolean declarable(String lowerCaseName) {
        return lowerCaseName != null
                && isToken(lowerCaseName)
                && !lowerCaseName.startsWith(ForwardedHeaders.OWN_PREFIX)
                && !lowerCaseName.equals("authorization")
                && !CONNECTION.contains(lowerCaseName)
                && !ForwardedHeaders.hopByHop(lowerCaseName);
    }

    /** The role's declared headers (lower case, sorted), without the standard ones. */
    public Set<String> roleHeaders() {
        return roleHeaders;
    }

    /**
     * True if the device's header may reach the site. {@code Authorization} passes only as a bearer
     * token of a device that authenticated with one (token and Entra devices: the management point
     * checks the token again), never Basic, NTLM or Negotiate: the site's pooled connections are
     * shared by all devices, and its Windows authentication is not a device's business.
     */
    public boolean allows(String name, String value, boolean bearerForSite) {
        String n = lower(name);
        if (n.equals("authorization")) {
            return bearerForSite && isBearer(value);
        }
        return !n.startsWith(ForwardedHeaders.OWN_PREFIX) && (STANDARD.contains(n) || roleHeaders.contains(n));
    }

    /** The device's headers that reach the site, in their order; each dropped one is reported to the sink. */
    public List<HttpField> fromDevice(HttpFields fields, boolean bearerForSite) {
        var out = new ArrayList<HttpField>(fields.size());
        for (HttpField f : fields) {
            if (allows(f.getName(), f.getValue(), bearerForSite)) {
                out.add(f);
            } else {
                String n = lower(f.getName());
                if (counted(n)) {
                    drops.dropped(n);
                }
            }
        }
        return out;
    }

    /** The lower-case names {@link #fromDevice} would drop and report, each once, reporting nothing: for explain. */
    public List<String> wouldDrop(HttpFields fields, boolean bearerForSite) {
        var out = new TreeSet<String>();
        for (HttpField f : fields) {
            String n = lower(f.getName());
            if (!allows(f.getName(), f.getValue(), bearerForSite) && counted(n)) {
                out.add(n);
            }
        }
        return List.copyOf(out);
    }

    /** False for the headers of the device's connection (and HTTP/2 pseudo-headers): dropped silently. */
    static boolean counted(String lowerCaseName) {
        return !CONNECTION.contains(lowerCaseName) && !lowerCaseName.startsWith(":");
    }

    private static boolean isBearer(String value) {
        return value != null && value.regionMatches(true, 0, "Bearer ", 0, 7);
    }

    private static String lower(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    /** An RFC 9110 token: the characters a header name may have. */
    public static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = c >= 'a' && c <= 'z'
                    || c >= 'A' && c <= 'Z'
                    || c >= '0' && c <= '9'
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "HeaderPolicy[standard + " + roleHeaders + "]";
    }
}
