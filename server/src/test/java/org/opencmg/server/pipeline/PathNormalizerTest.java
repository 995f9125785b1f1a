package org.opencmg.server.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.opencmg.server.refusal.RequestRefused;

/**
 * The path normaliser is the gateway's first line of defence: anything the internal server (IIS or
 * a servlet container) could read another way than the gateway does is refused with a stable reason.
 */
class PathNormalizerTest {

    private final PathNormalizer normalizer = new PathNormalizer();

    private RequestRefused refusalOf(String rawPath) {
        return catchThrowableOfType(RequestRefused.class, () -> normalizer.normalise(rawPath));
    }

    private RequestRefused queryRefusalOf(String rawQuery) {
        return catchThrowableOfType(RequestRefused.class, () -> normalizer.checkQuery(rawQuery));
    }

    /** label (for the report), raw path, status, reason. */
    static Stream<Arguments> hostilePaths() {
        return Stream.of(
                // separators smuggled in encoded form
                arguments("encoded slash, lower case", "/CCM_System%2frequest", 400, "encoded_slash"),
                arguments("encoded slash, upper case", "/CCM_System%2Frequest", 400, "encoded_slash"),
                arguments("encoded slash climbing out", "/CCM_System/..%2f..%2fadmin", 400, "encoded_slash"),
                arguments("encoded backslash, lower case", "/CCM_System%5crequest", 400, "encoded_backslash"),
                arguments("encoded backslash, upper case", "/CCM_System%5Crequest", 400, "encoded_backslash"),
                arguments("raw backslash", "/CCM_System\\request", 400, "backslash"),
                arguments("raw backslash dot-dot", "/CCM_System\\..\\admin", 400, "backslash"),
                // double encoding
                arguments("double-encoded slash", "/CCM_System%252frequest", 400, "double_encoding"),
                arguments("double-encoded dot", "/CCM_System/%252e%252e/admin", 400, "double_encoding"),
                arguments("encoded percent", "/CCM_System%25", 400, "double_encoding"),
                // dot segments
                arguments("dot-dot in the middle", "/CCM_System/../admin", 400, "dot_segment"),
                arguments("dot in the middle", "/CCM_System/./request", 400, "dot_segment"),
                arguments("dot-dot at the end", "/CCM_System/..", 400, "dot_segment"),
                arguments("dot-dot first", "/../etc/passwd", 400, "dot_segment"),
                arguments("three dots", "/CCM_System/.../admin", 400, "dot_segment"),
                arguments("dot with trailing slash", "/CCM_System/./", 400, "dot_segment"),
                arguments("encoded dot-dot", "/CCM_System/%2e%2e/admin", 400, "encoded_dot"),
                arguments("half-encoded dot-dot", "/CCM_System/.%2e/admin", 400, "encoded_dot"),
                arguments("upper-case encoded dot", "/CCM_System/%2E", 400, "encoded_dot"),
                // NUL and control characters
                arguments("encoded NUL", "/CCM_System%00.aspx", 400, "nul_byte"),
                arguments("raw NUL", "/CCM_System\u0000.aspx", 400, "nul_byte"),
                arguments("encoded line feed", "/CCM_System%0aSet-Cookie", 400, "control_character"),
                arguments("encoded carriage return", "/CCM_System%0D%0A", 400, "control_character"),
                arguments("raw tab", "/CCM_System\trequest", 400, "control_character"),
                arguments("raw line feed", "/CCM_System\nrequest", 400, "control_character"),
                arguments("encoded DEL", "/CCM_System%7F", 400, "control_character"),
                arguments("raw DEL", "/CCM_System\u007f", 400, "control_character"),
                arguments("encoded C1 control (NEL)", "/CCM_System%C2%85", 400, "control_character"),
                // IIS %u encoding and invalid / overlong UTF-8
                arguments("IIS %u-encoded slash", "/CCM_System%u002frequest", 400, "bad_percent_encoding"),
                arguments("IIS %u-encoded dot", "/CCM_System/%u002e%u002e/admin", 400, "bad_percent_encoding"),
                arguments("overlong 2-byte slash", "/CCM_System%c0%afrequest", 400, "bad_utf8"),
                arguments("overlong 3-byte slash", "/CCM_System%e0%80%afrequest", 400, "bad_utf8"),
                arguments("overlong 2-byte dot", "/CCM_System/%c0%ae%c0%ae/admin", 400, "bad_utf8"),
                arguments("overlong 2-byte backslash", "/CCM_System%c1%9c", 400, "bad_utf8"),
                arguments("lone 0xFF byte", "/CCM_System%ff", 400, "bad_utf8"),
                arguments("truncated UTF-8 sequence", "/caf%C3", 400, "bad_utf8"),
                arguments("UTF-8 encoded surrogate", "/CCM_System%ed%a0%80", 400, "bad_utf8"),
                // path parameters and NTFS streams
                arguments("servlet path parameter", "/CCM_System;jsessionid=x/request", 400, "path_parameter"),
                arguments("encoded semicolon", "/CCM_System%3bjsessionid=x", 400, "path_parameter"),
                arguments("NTFS alternate data stream", "/CCM_System/default.aspx::$DATA", 400, "colon_in_path"),
                arguments("encoded colon", "/CCM_System/default.aspx%3a%3a$DATA", 400, "colon_in_path"),
                arguments("drive letter", "/C:/Windows", 400, "colon_in_path"),
                // empty segments
                arguments("double slash in the middle", "/CCM_System//request", 400, "empty_segment"),
                arguments("double slash first", "//evil.example/CCM_System", 400, "empty_segment"),
                arguments("only two slashes", "//", 400, "empty_segment"),
                arguments("double slash at the end", "/CCM_System//", 400, "empty_segment"),
                // names Windows trims
                arguments("trailing dot", "/CCM_System/default.aspx.", 400, "trailing_dot_or_space"),
                arguments("trailing dot before slash", "/CCM_System./request", 400, "trailing_dot_or_space"),
                arguments("trailing encoded space", "/CCM_System/default.aspx%20", 400, "trailing_dot_or_space"),
                arguments("leading encoded space", "/CCM_System/%20default.aspx", 400, "trailing_dot_or_space"),
                // delimiters that must never be part of a path
                arguments("encoded question mark", "/CCM_System%3fop=x", 400, "encoded_delimiter"),
                arguments("encoded hash", "/CCM_System%23fragment", 400, "encoded_delimiter"),
                // characters that are not RFC 3986 path characters
                arguments("double quote", "/CCM_System/\"x\"", 400, "bad_character"),
                arguments("less-than", "/CCM_System/<script>", 400, "bad_character"),
                arguments("greater-than", "/CCM_System/a>b", 400, "bad_character"),
                arguments("pipe", "/CCM_System/a|b", 400, "bad_character"),
                arguments("open brace", "/CCM_System/{x}", 400, "bad_character"),
                arguments("raw space", "/CCM_System/a b", 400, "bad_character"),
                arguments("backtick", "/CCM_System/a`b", 400, "bad_character"),
                arguments("raw hash in path", "/CCM_System#x", 400, "bad_character"),
                arguments("raw question mark in path", "/CCM_System?x", 400, "bad_character"),
                arguments("encoded double quote", "/CCM_System/%22x", 400, "bad_character"),
                arguments("encoded less-than", "/CCM_System/%3Cscript", 400, "bad_character"),
                // raw non-ASCII
                arguments("raw UTF-8 letter", "/caf\u00e9", 400, "non_ascii"),
                arguments("raw division slash", "/CCM_System\u2215request", 400, "non_ascii"),
                arguments("raw fullwidth solidus", "/CCM_System\uff0frequest", 400, "non_ascii"),
                // broken percent-escapes
                arguments("lone percent at the end", "/CCM_System%", 400, "bad_percent_encoding"),
                arguments("lone percent before slash", "/CCM_System%/x", 400, "bad_percent_encoding"),
                arguments("one hex digit", "/CCM_System%4", 400, "bad_percent_encoding"),
                arguments("non-hex digits", "/CCM_System%zz", 400, "bad_percent_encoding"),
                arguments("one non-hex digit", "/CCM_System%4g", 400, "bad_percent_encoding"),
                arguments("fullwidth hex digits", "/CCM_System%\uff12\uff11", 400, "bad_percent_encoding"),
                // not an origin-form target
                arguments("no leading slash", "CCM_System/request", 400, "not_origin_form"),
                arguments("asterisk form", "*", 400, "not_origin_form"),
                arguments("absolute form", "http://evil.example/CCM_System", 400, "not_origin_form"),
                arguments("empty target", "", 400, "not_origin_form"),
                arguments("null target", null, 400, "not_origin_form"),
                // length
                arguments("3000-character path", "/" + "a".repeat(2999), 414, "path_too_long"),
                arguments(
                        "one past the limit", "/" + "a".repeat(PathNormalizer.MAX_PATH_LENGTH), 414, "path_too_long"));
    }

    @ParameterizedTest(name = "[{index}] {0} → {2} {3}")
    @MethodSource("hostilePaths")
    void refusesHostilePathWithItsReason(String label, String rawPath, int status, String reason) {
        RequestRefused refusal = refusalOf(rawPath);

        assertThat(refusal).as("%s must be refused", label).isNotNull();
        assertThat(refusal.reason()).as(label).isEqualTo(reason);
        assertThat(refusal.status()).as(label).isEqualTo(status);
    }

    @Test
    void corpusCoversEveryReasonCode() {
        assertThat(hostilePaths().map(a -> (String) a.get()[3]).distinct())
                .containsExactlyInAnyOrder(
                        "encoded_slash",
                        "encoded_backslash",
                        "double_encoding",
                        "dot_segment",
                        "encoded_dot",
                        "nul_byte",
                        "control_character",
                        "non_ascii",
                        "backslash",
                        "path_parameter",
                        "colon_in_path",
                        "bad_percent_encoding",
                        "bad_utf8",
                        "empty_segment",
                        "trailing_dot_or_space",
                        "encoded_delimiter",
                        "bad_character",
                        "not_origin_form",
                        "path_too_long");
        assertThat(hostilePaths().count()).isGreaterThanOrEqualTo(40);
    }

    @Test
    void refusalCarriesNoStackTrace() {
        assertThat(refusalOf("/a%2fb").getStackTrace()).isEmpty();
    }

    @Nested
    class CanonicalForm {

        private CanonicalPath normalise(String raw) {
            return normalizer.normalise(raw);
        }

        @Test
        void keepsAConfigMgrPathUnchanged() {
            String raw = "/CCM_Proxy_MutualAuth/72057594037927939/CCM_System/request";

            CanonicalPath path = normalise(raw);

            assertThat(path.encoded()).isEqualTo(raw);
            assertThat(path.segments())
                    .containsExactly("CCM_Proxy_MutualAuth", "72057594037927939", "CCM_System", "request");
            assertThat(path.trailingSlash()).isFalse();
        }

        @Test
        void decodesEncodedUnreservedCharacters() {
            assertThat(normalise("/%41bc/x%7Ey%2Dz%5F").encoded()).isEqualTo("/Abc/x~y-z_");
            assertThat(normalise("/%41").segments()).containsExactly("A");
        }

        @Test
        void keepsEncodedSpaceEncoded() {
            CanonicalPath path = normalise("/a%20b");

            assertThat(path.segments()).containsExactly("a b");
            assertThat(path.encoded()).isEqualTo("/a%20b");
        }

        @ParameterizedTest
        @ValueSource(
                strings = {
                    "/caf%c3%a9",
                    "/%C3%A9t%C3%A9",
                    "/%F0%9F%98%80",
                    "/CCM_System%EF%BC%8Frequest",
                    "/CCM_System%E2%88%95request"
                })
        void refusesEvenValidUtf8BecauseLookAlikesCanBestFitToSeparators(String raw) {
            assertThatThrownBy(() -> normalise(raw))
                    .isInstanceOfSatisfying(
                            RequestRefused.class, r -> assertThat(r.reason()).isEqualTo("non_ascii"));
        }

        @Test
        void keepsTrailingSlash() {
            CanonicalPath path = normalise("/CCM_System/");

            assertThat(path.encoded()).isEqualTo("/CCM_System/");
            assertThat(path.segments()).containsExactly("CCM_System");
            assertThat(path.trailingSlash()).isTrue();
        }

        @Test
        void rootIsASlashWithoutSegments() {
            CanonicalPath path = normalise("/");

            assertThat(path.encoded()).isEqualTo("/");
            assertThat(path.segments()).isEmpty();
        }

        @Test
        void keepsSubDelimitersRaw() {
            assertThat(normalise("/a!$&'()*+,=@b").encoded()).isEqualTo("/a!$&'()*+,=@b");
        }

        @Test
        void encodesSubDelimitersAsRawOnce() {
            assertThat(normalise("/a%2A%21%40").encoded()).isEqualTo("/a*!@");
        }

        @Test
        void allowsDotsInsideAndAtTheStartOfANameSegment() {
            assertThat(normalise("/.well-known/sms.dll/file.tar.gz").segments())
                    .containsExactly(".well-known", "sms.dll", "file.tar.gz");
        }

        @Test
        void acceptsAPathOfExactlyTheLimit() {
            String raw = "/" + "a".repeat(PathNormalizer.MAX_PATH_LENGTH - 1);

            assertThat(normalise(raw).encoded()).isEqualTo(raw);
        }

        @ParameterizedTest
        @ValueSource(
                strings = {
                    "/CCM_Proxy_MutualAuth/72057594037927939/CCM_System/request",
                    "/a%20b/",
                    "/%41%42c",
                    "/a!$&'()*+,=@b/x~y",
                    "/SMS_MP/.sms_aut"
                })
        void canonicalFormIsAFixedPoint(String raw) {
            CanonicalPath once = normalise(raw);
            CanonicalPath twice = normalise(once.encoded());

            assertThat(twice).isEqualTo(once);
        }

        @Test
        void segmentsAreImmutable() {
            List<String> segments = normalise("/a/b").segments();

            org.assertj.core.api.Assertions.assertThatThrownBy(() -> segments.add("c"))
                    .isInstanceOf(UnsupportedOperationException.class);
        }
    }

    @Nested
    class Query {

        @ParameterizedTest
        @ValueSource(strings = {"MPLIST2", "op=GetAuthPolicy&sitecode=ABC", "a=%2F%5C%25", "a=b;c=d", "x=%C3%A9", ""})
        void passesAValidQueryOnUnchanged(String query) {
            assertThat(normalizer.checkQuery(query)).isEqualTo(query);
        }

        @ParameterizedTest
        @CsvSource(
                delimiter = ' ',
                value = {"x={a} x=%7Ba%7D", "a|b^c a%7Cb%5Ec", "t=`x` t=%60x%60", "ip=[::1] ip=%5B::1%5D"})
        void percentEncodesWhatTheQueryGrammarLeavesOutButMeansNothingElse(String query, String canonical) {
            assertThat(normalizer.checkQuery(query)).isEqualTo(canonical);
        }

        @Test
        void everyQueryItPassesIsOneJavaNetUriAccepts() {
            for (char c = 0; c < 0x100; c++) {
                String query = "a=" + c + "b";
                if (queryRefusalOf(query) == null) {
                    String canonical = normalizer.checkQuery(query);
                    assertThatCode(() -> java.net.URI.create("https://site.example/p?" + canonical))
                            .as("query byte 0x%02x", (int) c)
                            .doesNotThrowAnyException();
                }
            }
        }

        @Test
        void treatsAMissingQueryAsEmpty() {
            assertThat(normalizer.checkQuery(null)).isEmpty();
        }

        static Stream<Arguments> hostileQueries() {
            return Stream.of(
                    arguments("a=%00", 400, "nul_byte"),
                    arguments("a=%0a", 400, "control_character"),
                    arguments("a=%0D%0ASet-Cookie:x", 400, "control_character"),
                    arguments("a=%1f", 400, "control_character"),
                    arguments("a=%7F", 400, "control_character"),
                    arguments("a=\tb", 400, "control_character"),
                    arguments("a=\nb", 400, "control_character"),
                    arguments("a=%zz", 400, "bad_percent_encoding"),
                    arguments("a=%", 400, "bad_percent_encoding"),
                    arguments("a=%4", 400, "bad_percent_encoding"),
                    arguments("a=%u002f", 400, "bad_percent_encoding"),
                    arguments("a=b#c", 400, "bad_character"),
                    arguments("a=\\b", 400, "bad_character"),
                    arguments("a=\"b\"", 400, "bad_character"),
                    arguments("a=<b>", 400, "bad_character"),
                    arguments("a=" + "b".repeat(PathNormalizer.MAX_QUERY_LENGTH), 414, "query_too_long"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"a=\u0000", "a=\u00e9", "a=b c"})
        void refusesRawNulNonAsciiAndSpaceInQuery(String query) {
            assertThat(queryRefusalOf(query))
                    .isNotNull()
                    .extracting(RequestRefused::status)
                    .isEqualTo(400);
        }

        @ParameterizedTest(name = "[{index}] {1} {2}")
        @MethodSource("hostileQueries")
        void refusesHostileQuery(String query, int status, String reason) {
            RequestRefused refusal = queryRefusalOf(query);

            assertThat(refusal).isNotNull();
            assertThat(refusal.reason()).isEqualTo(reason);
            assertThat(refusal.status()).isEqualTo(status);
        }
    }
}
