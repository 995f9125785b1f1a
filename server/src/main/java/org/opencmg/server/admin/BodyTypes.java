package org.opencmg.server.admin;

import java.util.Locale;
import java.util.Set;

/**
 * The media types a write to the admin API may carry. None of them can be sent by an HTML form or
 * a "simple" cross-site request ({@code text/plain}, form encodings, no type at all), so a browser
 * would need a CORS preflight, which the API never grants.
 */
final class BodyTypes {

    static final Set<String> JSON = Set.of("application/json");
    /** Certificate and CRL uploads. */
    static final Set<String> PEM = Set.of(
            "application/x-pem-file", "application/pkix-cert", "application/pkix-crl", "application/x-x509-ca-cert");
    /** Streamed uploads (content files). */
    static final Set<String> STREAM = Set.of("application/octet-stream");
    /** A plugin's bodies: JSON, or raw bytes it reads itself (a storage key). */
    static final Set<String> PLUGIN = Set.of("application/json", "application/octet-stream");
    /** A configuration to apply (JSON is YAML too). */
    static final Set<String> YAML = Set.of("application/yaml", "application/json");
    /** Every type some route accepts: a POST or PUT with any other type is refused before routing. */
    static final Set<String> ANY_ROUTE = Set.of(
            "application/json",
            "application/octet-stream",
            "application/x-pem-file",
            "application/pkix-cert",
            "application/pkix-crl",
            "application/x-x509-ca-cert",
            "application/yaml");

    private BodyTypes() {}

    /** True if {@code contentType} (parameters such as charset ignored) is one of {@code accepted}. */
    static boolean accepts(Set<String> accepted, String contentType) {
        if (contentType == null) {
            return false;
        }
        int semicolon = contentType.indexOf(';');
        String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon))
                .strip()
                .toLowerCase(Locale.ROOT);
        return accepted.contains(type);
    }
}
