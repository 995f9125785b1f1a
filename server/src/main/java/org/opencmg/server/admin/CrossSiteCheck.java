package org.opencmg.server.admin;

import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;

/**
 * Recognises requests a browser sends on behalf of another site (CSRF with cached HTTP Basic
 * credentials): {@code Sec-Fetch-Site} other than {@code same-origin} or {@code none} (typed in
 * the address bar), or an {@code Origin} other than the admin connector's own. Clients that are not
 * browsers (the CLI, curl, Prometheus) send neither header and pass.
 */
final class CrossSiteCheck {

    private CrossSiteCheck() {}

    /** Why the request is cross-site (for the log), or empty if it is not. */
    static Optional<String> violation(HttpServletRequest req) {
        String site = req.getHeader("Sec-Fetch-Site");
        if (site != null && !site.equalsIgnoreCase("same-origin") && !site.equalsIgnoreCase("none")) {
            return Optional.of("Sec-Fetch-Site: " + site);
        }
        String origin = req.getHeader("Origin");
        if (origin != null && !isOwnOrigin(origin, req)) {
            return Optional.of("Origin: " + origin);
        }
        return Optional.empty();
    }

    /** True when the request comes from a browser, which must never be offered a Basic prompt. */
    static boolean fromBrowser(HttpServletRequest req) {
        return req.getHeader("Sec-Fetch-Site") != null
                || req.getHeader("Sec-Fetch-Mode") != null
                || req.getHeader("Origin") != null;
    }

    private static boolean isOwnOrigin(String origin, HttpServletRequest req) {
        URI uri;
        try {
            uri = new URI(origin);
        } catch (URISyntaxException e) {
            return false; // "null" (a sandboxed frame, a redirect) and anything malformed
        }
        if (uri.getScheme() == null
                || uri.getHost() == null
                || uri.getRawPath() != null && !uri.getRawPath().isEmpty()) {
            return false;
        }
        int port = uri.getPort() != -1 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
        return uri.getScheme().equalsIgnoreCase(req.getScheme())
                && bare(uri.getHost()).equals(bare(req.getServerName()))
                && port == req.getServerPort();
    }

    private static String bare(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }
}
