package org.opencmg.connectionpoint;

import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * The internal base URLs this connection point may call ({@code internal.allowed-urls} in
 * connection-point.yaml). The gateway is on the internet; the mappings it replicates are only
 * followed where this local list, written on premises, agrees. Empty means "whatever the gateway
 * maps" (the behaviour before the list existed), and the connection point says so when it starts.
 */
record InternalAllowList(List<Base> bases) {

    /** One allowed base: scheme, host and port exactly, and the path at or below {@code path}. */
    record Base(String scheme, String host, int port, String path) {

        static Base parse(String url) {
            URI u;
            try {
                u = URI.create(url);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("internal.allowed-urls: '" + url + "' is not a URL");
            }
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("https") && !scheme.equals("http")
                    || u.getHost() == null
                    || u.getRawQuery() != null
                    || u.getRawFragment() != null
                    || u.getRawUserInfo() != null) {
                throw new IllegalArgumentException("internal.allowed-urls: '" + url
                        + "' must be http(s)://host[:port][/path] with no query, fragment or user");
            }
            String path = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
            return new Base(scheme, u.getHost().toLowerCase(Locale.ROOT), effectivePort(scheme, u.getPort()), path);
        }

        boolean sameServer(String scheme, String host, int port) {
            return this.scheme.equals(scheme) && this.host.equalsIgnoreCase(host) && this.port == port;
        }

        /** At or below the base path, on a segment boundary ({@code /ccm} allows {@code /ccm/x}, not {@code /ccmx}). */
        boolean covers(String rawPath) {
            String p = rawPath == null || rawPath.isEmpty() ? "/" : rawPath;
            String lower = p.toLowerCase(Locale.ROOT);
            String base = path.toLowerCase(Locale.ROOT);
            return base.endsWith("/")
                    ? lower.startsWith(base) || lower.equals(base.substring(0, base.length() - 1))
                    : lower.equals(base) || lower.startsWith(base + "/");
        }
    }

    static final InternalAllowList ANY = new InternalAllowList(List.of());

    static InternalAllowList of(List<String> urls) {
        return urls == null || urls.isEmpty()
                ? ANY
                : new InternalAllowList(urls.stream().map(Base::parse).toList());
    }

    boolean restricts() {
        return !bases.isEmpty();
    }

    /** True when the list is empty or one of its bases covers the target URL. */
    boolean allows(URI target) {
        if (!restricts()) {
            return true;
        }
        String scheme = target.getScheme() == null ? "" : target.getScheme().toLowerCase(Locale.ROOT);
        String host = target.getHost();
        if (host == null || target.getRawUserInfo() != null) {
            return false;
        }
        int port = effectivePort(scheme, target.getPort());
        return bases.stream().anyMatch(b -> b.sameServer(scheme, host, port) && b.covers(target.getRawPath()));
    }

    /** Whether the connection point's client certificate may be shown to this server (TLS, so https). */
    boolean presentsCertificateTo(String host, int port) {
        return !restricts() || host != null && bases.stream().anyMatch(b -> b.sameServer("https", host, port));
    }

    private static int effectivePort(String scheme, int port) {
        return port > 0 ? port : scheme.equals("http") ? 80 : 443;
    }
}
