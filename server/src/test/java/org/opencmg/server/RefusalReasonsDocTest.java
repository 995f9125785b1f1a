package org.opencmg.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.opencmg.api.Refusal;
import org.opencmg.pki.RefusalReason;

/**
 * The refusal catalogue ({@link Refusal}) and the docs agree, and the code refuses only with it.
 * <ul>
 *   <li>docs/security.md's table "Every refusal reason" is generated from the catalogue (this test
 *       fails when it differs; regenerate it with
 *       {@code mvn -B -pl server verify -Dtest=RefusalReasonsDocTest -Dsurefire.failIfNoSpecifiedTests=false -Dcmg.regenerate-docs=true});</li>
 *   <li>every other mention of a reason with its status ({@code `403 wrong_site`}) in the README and
 *       docs/*.md names a reason of the catalogue with that status, and every reason the channel's
 *       table lists exists;</li>
 *   <li>no main source of the server, the connection point, the pki module or the plugins refuses with a
 *       code written as a string, except the admin API and console (which take theirs from the catalogue's
 *       codes, checked here).</li>
 * </ul>
 */
class RefusalReasonsDocTest {

    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Path SECURITY_MD = ROOT.resolve("docs/security.md");
    private static final Path CHANNEL_MD = ROOT.resolve("docs/channel.md");
    private static final String BEGIN =
            "<!-- generated from org.opencmg.api.Refusal by RefusalReasonsDocTest: begin -->";
    private static final String END = "<!-- generated from org.opencmg.api.Refusal by RefusalReasonsDocTest: end -->";
    private static final String REGENERATE = "mvn -B -pl server verify -Dtest=RefusalReasonsDocTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false -Dcmg.regenerate-docs=true";

    /** Refusing calls with a literal code: new RequestRefused(403, "code", ...), bad("code", ...), refused(401, "code", ...), ... */
    private static final Pattern LITERAL_REFUSAL = Pattern.compile(
            "\\b(?:RequestRefused|refuse|refused|bad|Invalid|Unsatisfiable|ApiError|Refusal|Rejected|Check)\\(\\s*(?:[^,()\"]+,\\s*)*(?:\\d{3}\\s*,\\s*)?\"([a-z0-9]+(?:_[a-z0-9]+)*)\"\\s*,");
    /** Not refusals of something sent: a renewed certificate's outcomes (cmg_certificate_reloads_total{outcome}). */
    private static final List<String> NOT_REFUSALS = List.of("/org/opencmg/pki/CertificateReloader.java");
    /** A reason with its status, as the docs write it: `403 wrong_site`. */
    private static final Pattern STATUS_AND_CODE = Pattern.compile("`(\\d{3}) ([a-z0-9]+(?:_[a-z0-9]+)+)`");

    @Test
    void securityMdHasTheCatalogue() throws IOException {
        String doc = Files.readString(SECURITY_MD);
        int begin = doc.indexOf(BEGIN);
        int end = doc.indexOf(END);
        assertThat(begin)
                .as("docs/security.md has the generated catalogue between its markers")
                .isNotNegative();
        assertThat(end).isGreaterThan(begin);
        String expected = doc.substring(0, begin + BEGIN.length()) + "\n" + table() + doc.substring(end);
        if (Boolean.getBoolean("cmg.regenerate-docs")) {
            Files.writeString(SECURITY_MD, expected, StandardCharsets.UTF_8);
            doc = expected;
        }
        assertThat(doc)
                .as("docs/security.md's refusal table is out of date; regenerate it: " + REGENERATE)
                .isEqualTo(expected);
    }

    @Test
    void everyReasonTheDocsNameWithAStatusIsInTheCatalogueWithThatStatus() throws IOException {
        var wrong = new ArrayList<String>();
        var docs = new ArrayList<Path>(List.of(ROOT.resolve("README.md")));
        try (Stream<Path> files = Files.list(ROOT.resolve("docs"))) {
            files.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        assertThat(docs).contains(SECURITY_MD, CHANNEL_MD);
        for (Path doc : docs) {
            var m = STATUS_AND_CODE.matcher(Files.readString(doc));
            while (m.find()) {
                int status = Integer.parseInt(m.group(1));
                var refusal = Refusal.ofCode(m.group(2));
                if (refusal.isEmpty()) {
                    wrong.add(ROOT.relativize(doc) + ": " + m.group() + " is no refusal of the catalogue");
                } else if (refusal.get().status() != status) {
                    wrong.add(ROOT.relativize(doc) + ": " + m.group() + ", the catalogue says " + refusal.get());
                }
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void everyReasonOfTheChannelTableExists() throws IOException {
        String doc = Files.readString(CHANNEL_MD);
        String table = doc.substring(doc.indexOf("## Refusal reasons of the channel"));
        var codes = new TreeSet<String>();
        var m = Pattern.compile("`(?:\\d{3} )?([a-z0-9]+(?:_[a-z0-9]+)+)`").matcher(table);
        while (m.find()) {
            codes.add(m.group(1));
        }
        assertThat(codes).as("the channel's reasons").contains("channel_duplicate", "mapping_not_replicated");
        assertThat(codes)
                .allSatisfy(code -> assertThat(Refusal.ofCode(code)).as(code).isPresent());
    }

    @Test
    void theCertificateReasonsAreTheCataloguesAndForbidden() {
        for (RefusalReason r : RefusalReason.values()) {
            assertThat(r.refusal().code()).isEqualTo(r.code());
            assertThat(r.refusal().status()).as(r.code()).isEqualTo(403);
        }
    }

    @Test
    void theCodeRefusesWithTheCatalogueOnly() throws IOException {
        var literal = new TreeMap<String, String>();
        var unknown = new TreeMap<String, String>();
        for (Path root : sourceRoots()) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    String path = f.toString().replace('\\', '/');
                    if (NOT_REFUSALS.stream().anyMatch(path::endsWith)) {
                        continue;
                    }
                    var m = LITERAL_REFUSAL.matcher(Files.readString(f));
                    while (m.find()) {
                        String where = ROOT.relativize(f).toString();
                        if (Refusal.ofCode(m.group(1)).isEmpty()) {
                            unknown.putIfAbsent(m.group(1), where);
                        } else {
                            literal.putIfAbsent(m.group(1), where);
                        }
                    }
                }
            }
        }
        assertThat(unknown)
                .as("refusal codes (and where they are used) that are not in the catalogue org.opencmg.api.Refusal")
                .isEmpty();
        assertThat(literal)
                .as("refusal codes written as strings (use org.opencmg.api.Refusal)")
                .isEmpty();
    }

    /** The catalogue as docs/security.md shows it, one row per reason in the catalogue's order. */
    static String table() {
        var out = new StringBuilder("| reason | status | when |\n|---|---|---|\n");
        for (Refusal r : Refusal.values()) {
            out.append("| `")
                    .append(r.code())
                    .append("` | ")
                    .append(r.status())
                    .append(" | ")
                    .append(r.description())
                    .append(" |\n");
        }
        return out.toString();
    }

    private static List<Path> sourceRoots() throws IOException {
        var roots = new TreeSet<Path>();
        for (String module : List.of("server", "webapp", "cli", "pki", "channel", "connection-point")) {
            roots.add(ROOT.resolve(module).resolve("src/main/java"));
        }
        try (Stream<Path> plugins = Files.list(ROOT.resolve("plugins"))) {
            plugins.map(p -> p.resolve("src/main/java"))
                    .filter(Files::isDirectory)
                    .forEach(roots::add);
        }
        return List.copyOf(roots);
    }
}
