package org.opencmg.server.pipeline;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import org.opencmg.api.Refusal;
import org.opencmg.server.refusal.RequestRefused;

/**
 * Turns a raw request path into its {@link CanonicalPath}, or refuses it (400) when it could be
 * read two ways. The internal server may be IIS or a servlet container; each reads backslashes,
 * {@code %5c}, {@code ;param}, {@code %uXXXX}, overlong UTF-8, dot segments and repeated decoding
 * its own way, so anything of the kind is refused rather than passed on.
 *
 * <p>Rules: only RFC 3986 path characters, raw; {@code %XX} decoded exactly once, and the decoded
 * byte must not be a separator, a delimiter, {@code %} (double encoding), a dot, a control
 * character or part of invalid/overlong UTF-8; no empty, dot-only, trailing-dot or colon segments.
 */
public final class PathNormalizer {

    public static final int MAX_PATH_LENGTH = 2048;
    public static final int MAX_QUERY_LENGTH = 4096;

    /** Characters that may appear raw in a segment (RFC 3986 pchar minus ';' and ':'). */
    private static final boolean[] RAW_ALLOWED = new boolean[128];
    /** Characters written raw in the canonical encoding; all others are percent-encoded. */
    private static final boolean[] CANONICAL_RAW = new boolean[128];
    /** Characters of an RFC 3986 query written raw: pchar, '/', '?' and '%' of an escape checked on its own. */
    private static final boolean[] QUERY_RAW = new boolean[128];

    static {
        String unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
        String subDelims = "!$&'()*+,=@";
        for (char c : (unreserved + subDelims).toCharArray()) {
            RAW_ALLOWED[c] = true;
            CANONICAL_RAW[c] = true;
        }
        for (char c : (unreserved + subDelims + ";:/?%").toCharArray()) {
            QUERY_RAW[c] = true;
        }
    }

    public CanonicalPath normalise(String rawPath) {
        if (rawPath == null || rawPath.isEmpty() || rawPath.charAt(0) != '/') {
            throw bad(Refusal.NOT_ORIGIN_FORM, "path must start with /");
        }
        if (rawPath.length() > MAX_PATH_LENGTH) {
            throw new RequestRefused(Refusal.PATH_TOO_LONG, rawPath.length() + " characters");
        }
        var segments = new ArrayList<String>();
        int start = 1;
        boolean trailingSlash = false;
        while (start <= rawPath.length()) {
            int end = rawPath.indexOf('/', start);
            if (end < 0) {
                end = rawPath.length();
            }
            String raw = rawPath.substring(start, end);
            if (raw.isEmpty()) {
                if (end == rawPath.length()) {
                    trailingSlash = !segments.isEmpty();
                    break;
                }
                throw bad(Refusal.EMPTY_SEGMENT, "'//' in path");
            }
            segments.add(checkSegment(decodeSegment(raw)));
            start = end + 1;
        }
        var encoded = new StringBuilder();
        for (String s : segments) {
            encoded.append('/').append(encodeSegment(s));
        }
        if (trailingSlash || segments.isEmpty()) {
            encoded.append('/');
        }
        return new CanonicalPath(segments, encoded.toString(), trailingSlash);
    }

    /**
     * Checks a raw query string and returns its canonical form ("" for null): the RFC 3986 query
     * grammar, which every HTTP client and server parses alike. Printable characters that grammar
     * leaves out but that mean nothing else ({@code { } | ^ `} and {@code [ ]}) are percent-encoded,
     * as the connection point's HTTP client could not send them raw; characters that could be
     * read two ways ({@code # \ " < >}), controls, spaces and non-ASCII are refused.
     */
    public String checkQuery(String rawQuery) {
        if (rawQuery == null) {
            return "";
        }
        if (rawQuery.length() > MAX_QUERY_LENGTH) {
            throw new RequestRefused(Refusal.QUERY_TOO_LONG, rawQuery.length() + " characters");
        }
        StringBuilder canonical = null;
        for (int i = 0; i < rawQuery.length(); i++) {
            char c = rawQuery.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                throw bad(Refusal.CONTROL_CHARACTER, "in query at " + i);
            }
            if (c == '#' || c == '\\' || c == '"' || c == '<' || c == '>') {
                throw bad(Refusal.BAD_CHARACTER, "in query at " + i);
            }
            if (c == '%') {
                if (i + 2 >= rawQuery.length() || hex(rawQuery.charAt(i + 1)) < 0 || hex(rawQuery.charAt(i + 2)) < 0) {
                    throw bad(Refusal.BAD_PERCENT_ENCODING, "in query at " + i);
                }
                int b = hex(rawQuery.charAt(i + 1)) * 16 + hex(rawQuery.charAt(i + 2));
                if (b < 0x20 || b == 0x7f) {
                    throw bad(b == 0 ? Refusal.NUL_BYTE : Refusal.CONTROL_CHARACTER, "encoded in query at " + i);
                }
            }
            boolean raw = QUERY_RAW[c];
            if (!raw && canonical == null) {
                canonical = new StringBuilder(rawQuery.length() + 16).append(rawQuery, 0, i);
            }
            if (canonical != null) {
                if (raw) {
                    canonical.append(c);
                } else {
                    appendEscape(canonical, c);
                }
            }
        }
        return canonical == null ? rawQuery : canonical.toString();
    }

    private static String decodeSegment(String raw) {
        var bytes = ByteBuffer.allocate(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    throw bad(Refusal.BAD_PERCENT_ENCODING, "truncated %-escape");
                }
                int hi = hex(raw.charAt(i + 1));
                int lo = hex(raw.charAt(i + 2));
                if (hi < 0 || lo < 0) {
                    throw bad(
                            Refusal.BAD_PERCENT_ENCODING,
                            "'%" + printable(raw.charAt(i + 1)) + printable(raw.charAt(i + 2)) + "'");
                }
                int b = hi * 16 + lo;
                checkDecodedByte(b);
                bytes.put((byte) b);
                i += 2;
            } else {
                checkRawChar(c);
                bytes.put((byte) c);
            }
        }
        bytes.flip();
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes)
                    .toString();
        } catch (CharacterCodingException e) {
            throw bad(Refusal.BAD_UTF8, "invalid or overlong UTF-8 in path");
        }
    }

    private static void checkRawChar(char c) {
        if (c == 0) {
            throw bad(Refusal.NUL_BYTE, "raw NUL");
        }
        if (c < 0x20 || c == 0x7f) {
            throw bad(Refusal.CONTROL_CHARACTER, "raw control character");
        }
        if (c >= 0x80) {
            throw bad(Refusal.NON_ASCII, "raw non-ASCII character");
        }
        if (c == '\\') {
            throw bad(Refusal.BACKSLASH, "raw backslash");
        }
        if (c == ';') {
            throw bad(Refusal.PATH_PARAMETER, "';' in path");
        }
        if (c == ':') {
            throw bad(Refusal.COLON_IN_PATH, "':' in path");
        }
        if (!RAW_ALLOWED[c]) {
            throw bad(Refusal.BAD_CHARACTER, "'" + printable(c) + "' in path");
        }
    }

    private static void checkDecodedByte(int b) {
        switch (b) {
            case 0 -> throw bad(Refusal.NUL_BYTE, "%00");
            case '/' -> throw bad(Refusal.ENCODED_SLASH, "%2F");
            case '\\' -> throw bad(Refusal.ENCODED_BACKSLASH, "%5C");
            case '%' -> throw bad(Refusal.DOUBLE_ENCODING, "%25");
            case '.' -> throw bad(Refusal.ENCODED_DOT, "%2E");
            case ';' -> throw bad(Refusal.PATH_PARAMETER, "%3B");
            case ':' -> throw bad(Refusal.COLON_IN_PATH, "%3A");
            case '?', '#' ->
                throw bad(
                        Refusal.ENCODED_DELIMITER, "%" + Integer.toHexString(b).toUpperCase());
            default -> {
                if (b < 0x20 || b == 0x7f) {
                    throw bad(Refusal.CONTROL_CHARACTER, "encoded control character");
                }
                if (b < 0x80 && b != ' ' && !RAW_ALLOWED[b]) {
                    throw bad(Refusal.BAD_CHARACTER, "encoded '" + (char) b + "'");
                }
            }
        }
    }

    private static String checkSegment(String s) {
        if (s.chars().anyMatch(Character::isISOControl)) {
            // C0 and DEL are refused byte by byte; this catches C1 controls (U+0080-U+009F, e.g. %C2%85 NEL).
            throw bad(Refusal.CONTROL_CHARACTER, "encoded control character");
        }
        if (s.chars().anyMatch(ch -> ch >= 0x80)) {
            // Site role paths are ASCII. Windows best-fit mapping can turn look-alikes such as the
            // fullwidth solidus (%EF%BC%8F) into '/', so no decoded non-ASCII character passes.
            throw bad(Refusal.NON_ASCII, "encoded non-ASCII character");
        }
        if (s.chars().allMatch(ch -> ch == '.')) {
            throw bad(Refusal.DOT_SEGMENT, "'" + s + "' segment");
        }
        if (s.endsWith(".") || s.endsWith(" ") || s.startsWith(" ")) {
            // Windows trims trailing dots and spaces from names: "x." and "x" would be one file.
            throw bad(Refusal.TRAILING_DOT_OR_SPACE, "segment ends with '.' or space");
        }
        return s;
    }

    /** The one canonical encoding of a decoded segment. */
    static String encodeSegment(String segment) {
        var sb = new StringBuilder(segment.length() + 8);
        for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
            int u = b & 0xff;
            if (u < 128 && CANONICAL_RAW[u]) {
                sb.append((char) u);
            } else {
                appendEscape(sb, u);
            }
        }
        return sb.toString();
    }

    private static void appendEscape(StringBuilder sb, int b) {
        sb.append('%')
                .append(Character.toUpperCase(Character.forDigit(b >> 4, 16)))
                .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
    }

    private static int hex(char c) {
        return Character.digit(c, 16) >= 0 && c < 128 ? Character.digit(c, 16) : -1;
    }

    private static String printable(char c) {
        return c >= 0x21 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c);
    }

    private static RequestRefused bad(Refusal reason, String detail) {
        return new RequestRefused(reason, detail);
    }
}
