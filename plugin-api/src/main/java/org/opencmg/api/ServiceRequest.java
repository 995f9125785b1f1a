package org.opencmg.api;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A request for a {@link GatewayService}.
 *
 * @param path    the canonical path (percent-encoded canonically)
 * @param query   the validated raw query, or ""
 * @param params  the query decoded into names and first values
 * @param body    the request body, at most {@link #MAX_BODY} bytes (longer bodies are refused before)
 * @param devices the devices the request authenticated as, in authentication order; may be empty
 */
public record ServiceRequest(
        String method,
        String path,
        String query,
        Map<String, String> params,
        Map<String, String> headers,
        byte[] body,
        List<Device> devices,
        InetSocketAddress remoteAddress) {

    public static final int MAX_BODY = 256 * 1024;

    /** A header by name, case-insensitively. */
    public Optional<String> header(String name) {
        return headers.entrySet().stream()
                .filter(e -> e.getKey().equalsIgnoreCase(name))
                .map(Map.Entry::getValue)
                .findFirst();
    }

    /** The first device authenticated by one of these methods. */
    public Optional<Device> deviceBy(String... methods) {
        for (Device d : devices) {
            for (String m : methods) {
                if (d.method().equals(m)) {
                    return Optional.of(d);
                }
            }
        }
        return Optional.empty();
    }
}
