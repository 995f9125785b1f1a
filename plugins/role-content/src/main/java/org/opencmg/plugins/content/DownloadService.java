package org.opencmg.plugins.content;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.opencmg.api.BodyStream;
import org.opencmg.api.ContentStore;
import org.opencmg.api.GatewayService;
import org.opencmg.api.PluginContext;
import org.opencmg.api.Refusal;
import org.opencmg.api.ServiceRequest;
import org.opencmg.api.ServiceResponse;
import org.pf4j.Extension;

/**
 * The content endpoint of the filesystem store: {@code GET|HEAD /content/<package>/<version>/<file>?se=&kid=&sig=}.
 * The signature is checked first (403 signature_invalid or signature_expired); then one byte range
 * (Range: bytes=a-b, a-, -n) is served with 206, or the whole file with 200. ETag is the file's
 * SHA-256; If-Range with another ETag gets the whole file. Several ranges, or a range outside the
 * file: 416. Streamed with constant memory.
 */
@Extension
public final class DownloadService implements GatewayService {

    private final Content content;

    public DownloadService(PluginContext context) {
        this.content = Content.of(context);
    }

    @Override
    public List<String> paths() {
        return List.of("/content/**");
    }

    @Override
    public boolean allowsAnonymous() {
        return true; // the signature is the credential; checked here
    }

    /** A byte range [first, last]. */
    record Range(long first, long last) {
        long length() {
            return last - first + 1;
        }
    }

    /**
     * RFC 9110's IMF-fixdate ("Thu, 03 Dec 2026 08:05:09 GMT"): a two-digit day, always GMT. The JDK's
     * RFC_1123_DATE_TIME writes "Thu, 3 Dec 2026" on days 1-9, which is not an HTTP date.
     */
    static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US)
            .withZone(ZoneOffset.UTC);

    static String httpDate(Instant instant) {
        return HTTP_DATE.format(instant);
    }

    /** Thrown for a Range header that cannot be served: the 416 reason. */
    static final class Unsatisfiable extends Exception {
        final Refusal reason;

        Unsatisfiable(Refusal reason, String detail) {
            super(detail, null, false, false);
            this.reason = reason;
        }
    }

    @Override
    public ServiceResponse handle(ServiceRequest request) throws IOException {
        if (!"GET".equals(request.method()) && !"HEAD".equals(request.method())) {
            return ServiceResponse.refuse(Refusal.METHOD_NOT_ALLOWED, request.method() + " on content");
        }
        String path = request.path();
        var p = request.params();
        var failure = content.signer.check(
                path,
                p.get("se"),
                p.get("kid"),
                p.get("sig"),
                content.context.clock().instant());
        if (failure.isPresent()) {
            Refusal reason = failure.get();
            return ServiceResponse.refuse(
                    reason,
                    path + " kid=" + p.get("kid") + " se=" + p.get("se")
                            + (reason == Refusal.SIGNATURE_EXPIRED
                                    ? " (" + Instant.ofEpochSecond(Long.parseLong(p.get("se"))) + ")"
                                    : ""));
        }
        String[] parts = path.substring(Content.URL_PREFIX.length()).split("/", -1);
        if (parts.length != 3) {
            return ServiceResponse.refuse(Refusal.CONTENT_NOT_FOUND, path);
        }
        int version;
        try {
            version = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            return ServiceResponse.refuse(Refusal.CONTENT_NOT_FOUND, path);
        }
        var entry = content.published().file(parts[0], version, parts[2]).orElse(null);
        if (entry == null) {
            return ServiceResponse.refuse(Refusal.CONTENT_NOT_FOUND, path + " is not in the catalog");
        }
        ContentStore store;
        try {
            store = content.store();
        } catch (Content.StoreUnavailable e) {
            return ServiceResponse.refuse(Refusal.CONTENT_STORE_UNAVAILABLE, e.getMessage());
        }
        var blob = store.head(entry.storeKey()).orElse(null);
        if (blob == null || blob.size() != entry.size()) {
            return ServiceResponse.refuse(
                    Refusal.CONTENT_MISSING,
                    entry.storeKey() + " is not in the " + store.kind() + " store"
                            + (blob == null ? "" : " with its recorded size"));
        }
        String etag = "\"" + entry.sha256() + "\"";
        long size = entry.size();
        var headers = new LinkedHashMap<String, String>();
        headers.put("ETag", etag);
        headers.put("Accept-Ranges", "bytes");
        headers.put("Last-Modified", httpDate(entry.uploadedAt()));
        String rangeHeader = request.header("Range").orElse(null);
        String ifRange = request.header("If-Range").orElse(null);
        if (rangeHeader != null && ifRange != null && !ifRange.strip().equals(etag)) {
            rangeHeader = null; // the device holds another version of the file: send it whole
        }
        Range range;
        try {
            range = rangeHeader == null ? null : parse(rangeHeader, size);
        } catch (Unsatisfiable u) {
            return ServiceResponse.refuse(
                    u.reason,
                    u.getMessage() + "; file is " + size + " bytes",
                    Map.of("Content-Range", "bytes */" + size));
        }
        long first = range == null ? 0 : range.first();
        long length = range == null ? size : range.length();
        if (range != null) {
            headers.put("Content-Range", "bytes " + range.first() + "-" + range.last() + "/" + size);
        }
        String key = entry.storeKey();
        return ServiceResponse.streamed(
                range == null ? 200 : 206, "application/octet-stream", headers, new BodyStream() {
                    @Override
                    public long length() {
                        return length;
                    }

                    @Override
                    public InputStream open() throws IOException {
                        return store.get(key, first, length);
                    }
                });
    }

    /** One range of a {@code bytes=} Range header (RFC 9110 §14.1.2). */
    static Range parse(String header, long size) throws Unsatisfiable {
        String h = header.strip();
        if (!h.regionMatches(true, 0, "bytes=", 0, 6)) {
            throw new Unsatisfiable(Refusal.RANGE_UNIT_UNSUPPORTED, "Range '" + header + "' is not in bytes");
        }
        String spec = h.substring(6).strip();
        if (spec.contains(",")) {
            throw new Unsatisfiable(
                    Refusal.MULTIPLE_RANGES_UNSUPPORTED,
                    "Range '" + header + "' asks several ranges; ask one at a time");
        }
        int dash = spec.indexOf('-');
        if (dash < 0) {
            throw new Unsatisfiable(Refusal.RANGE_MALFORMED, "Range '" + header + "'");
        }
        String a = spec.substring(0, dash).strip();
        String b = spec.substring(dash + 1).strip();
        try {
            if (a.isEmpty()) { // suffix: the last n bytes
                long n = Long.parseLong(b);
                if (n <= 0 || size == 0) {
                    throw new Unsatisfiable(Refusal.RANGE_NOT_SATISFIABLE, "Range '" + header + "'");
                }
                return new Range(Math.max(0, size - n), size - 1);
            }
            long first = Long.parseLong(a);
            long last = b.isEmpty() ? Long.MAX_VALUE : Long.parseLong(b);
            if (first < 0 || last < first) {
                throw new Unsatisfiable(Refusal.RANGE_MALFORMED, "Range '" + header + "'");
            }
            if (first >= size) {
                throw new Unsatisfiable(
                        Refusal.RANGE_NOT_SATISFIABLE, "Range '" + header + "' starts at or after the end");
            }
            return new Range(first, Math.min(last, size - 1));
        } catch (NumberFormatException e) {
            throw new Unsatisfiable(Refusal.RANGE_MALFORMED, "Range '" + header + "'");
        }
    }
}
