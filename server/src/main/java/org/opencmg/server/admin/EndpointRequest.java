package org.opencmg.server.admin;

import java.net.URI;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.opencmg.api.Endpoint;
import org.opencmg.server.pipeline.PathNormalizer;
import org.opencmg.server.refusal.RequestRefused;
import org.opencmg.server.store.PublishedEndpoint;

/** A publish request as the admin API receives it (JSON, snake_case), checked before it is stored. */
public record EndpointRequest(
        String externalPath,
        String internalUrl,
        String site,
        String name,
        List<String> methods,
        List<String> auth,
        Long maxRequestBytes) {

    public static final long DEFAULT_MAX_REQUEST_BYTES = 5L * 1024 * 1024;
    public static final List<String> DEFAULT_METHODS =
            List.of("GET", "HEAD", "POST", "PUT", "PROPFIND", "CCM_POST", "BITS_POST");

    private static final Pattern TOKEN = Pattern.compile("[A-Z0-9!#$%&'*+.^_`|~-]{1,32}");
    private static final Pattern SITE = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern AUTH = Pattern.compile("[a-z0-9_-]{1,32}");

    /** @throws IllegalArgumentException with a message fit for the administrator */
    public PublishedEndpoint validate(String actor, Instant now) {
        if (externalPath == null || internalUrl == null || site == null) {
            throw new IllegalArgumentException("external_path, internal_url and site are required");
        }
        String canonical;
        try {
            var path = new PathNormalizer().normalise(externalPath);
            if (path.segments().isEmpty()) {
                throw new IllegalArgumentException("external_path must name at least one segment");
            }
            canonical = path.encoded();
        } catch (RequestRefused r) {
            throw new IllegalArgumentException("external_path is not canonical: " + r.reason());
        }
        if (canonical.endsWith("/")) {
            canonical = canonical.substring(0, canonical.length() - 1);
        }
        // A client notification endpoint is the gateway's own: nothing is forwarded from it.
        boolean held = Endpoint.GATEWAY_NOTIFICATIONS.equals(internalUrl);
        URI internal;
        try {
            internal = URI.create(internalUrl);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("internal_url is not a URL");
        }
        if (!held
                && (!("https".equals(internal.getScheme()) || "http".equals(internal.getScheme()))
                        || internal.getHost() == null
                        || internal.getRawQuery() != null
                        || internal.getRawFragment() != null
                        || internal.getRawUserInfo() != null)) {
            throw new IllegalArgumentException(
                    "internal_url must be http(s)://host[:port][/path] without query or user info, or "
                            + Endpoint.GATEWAY_NOTIFICATIONS);
        }
        if (!SITE.matcher(site).matches()) {
            throw new IllegalArgumentException("site must be 1-64 letters, digits, '-' or '_'");
        }
        var m = new LinkedHashSet<String>();
        for (String method : methods == null || methods.isEmpty() ? held ? List.of("GET") : DEFAULT_METHODS : methods) {
            String up = method.strip().toUpperCase(Locale.ROOT);
            if (!TOKEN.matcher(up).matches()) {
                throw new IllegalArgumentException("not an HTTP method: " + method);
            }
            m.add(up);
        }
        Set<String> a = new LinkedHashSet<>();
        for (String method : auth == null || auth.isEmpty() ? List.of("pki") : auth) {
            String low = method.strip().toLowerCase(Locale.ROOT);
            if (!AUTH.matcher(low).matches()) {
                throw new IllegalArgumentException("not an auth method id: " + method);
            }
            a.add(low);
        }
        if (held && !m.equals(Set.of("GET"))) {
            throw new IllegalArgumentException(
                    "a notification endpoint (" + Endpoint.GATEWAY_NOTIFICATIONS + ") takes GET only");
        }
        long max = maxRequestBytes == null ? held ? 0 : DEFAULT_MAX_REQUEST_BYTES : maxRequestBytes;
        if (max < 0) {
            throw new IllegalArgumentException("max_request_bytes must be >= 0");
        }
        String n = name == null || name.isBlank() ? lastSegment(canonical) : name.strip();
        return new PublishedEndpoint(new Endpoint(n, canonical, internalUrl, m, max, a), site, null, null, now, actor);
    }

    private static String lastSegment(String path) {
        return path.substring(path.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
    }
}
