package org.opencmg.server.pipeline;

import java.util.List;
import java.util.Locale;

/**
 * A request path that passed {@link PathNormalizer}: decoded segments and their one canonical
 * encoding. Only this form is ever matched or forwarded, never the raw request target.
 *
 * @param segments      decoded segments (no empty, dot or otherwise ambiguous ones)
 * @param encoded       canonical percent-encoding, starting with "/"
 * @param trailingSlash whether the path ended with "/"
 */
public record CanonicalPath(List<String> segments, String encoded, boolean trailingSlash) {

    public CanonicalPath {
        segments = List.copyOf(segments);
    }

    /** Lower-case canonical form of the first {@code n} segments: the key mappings are looked up by. */
    public String prefixKey(int n) {
        var sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append('/').append(PathNormalizer.encodeSegment(segments.get(i)).toLowerCase(Locale.ROOT));
        }
        return sb.toString();
    }

    /** Canonical encoding of the segments after the first {@code n} (with the trailing slash), or "". */
    public String suffix(int n) {
        var sb = new StringBuilder();
        for (int i = n; i < segments.size(); i++) {
            sb.append('/').append(PathNormalizer.encodeSegment(segments.get(i)));
        }
        if (trailingSlash && (sb.length() > 0 || n == segments.size())) {
            sb.append('/');
        }
        return sb.toString();
    }
}
