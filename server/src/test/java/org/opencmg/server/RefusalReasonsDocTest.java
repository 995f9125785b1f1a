package org.opencmg.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.opencmg.pki.RefusalReason;

/**
 * docs/security.md names every refusal reason a device, a browser or an administrator can meet:
 * the reason codes the main sources of the server, the plugins and the pki module refuse with.
 * The channel's own codes (the gateway's channel package and the connection-point and channel modules) are documented with the channel
 * (docs/channel.md) and left out here.
 */
class RefusalReasonsDocTest {

    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    /** Refusing calls: new RequestRefused(403, "code", ...), bad("code", ...), refused(401, "code", ...), ... */
    private static final Pattern REFUSAL = Pattern.compile(
            "\\b(?:RequestRefused|refuse|refused|bad|Invalid|Unsatisfiable|ApiError|Refusal)\\(\\s*(?:\\d{3}\\s*,\\s*)?\"([a-z0-9]+(?:_[a-z0-9]+)+)\"");
    private static final List<String> LEFT_TO_CHANNEL_MD = List.of("/org/opencmg/server/channel/", "/org/opencmg/connectionpoint/", "/org/opencmg/channel/");

    @Test
    void everyRefusalReasonIsInSecurityMd() throws Exception {
        var codes = codes();
        assertThat(codes.keySet()).as("the scan finds the refusals").contains("unmapped_path", "encoded_slash", "invalid_token",
                "cross_site", "login_throttled", "wrong_eku", "revocation_unknown");
        String doc = Files.readString(ROOT.resolve("docs/security.md"));
        var missing = new TreeMap<String, String>();
        codes.forEach((code, where) -> {
            if (!doc.contains("`" + code + "`") && !Pattern.compile("`\\d{3} " + code + "`").matcher(doc).find()) {
                missing.put(code, where);
            }
        });
        assertThat(missing).as("refusal reasons (and where they are used) missing from docs/security.md").isEmpty();
    }

    /** Each reason code, with one source file that uses it. */
    static TreeMap<String, String> codes() throws IOException {
        var codes = new TreeMap<String, String>();
        for (RefusalReason r : RefusalReason.values()) {
            codes.put(r.code(), "pki RefusalReason");
        }
        var roots = new TreeSet<Path>();
        roots.add(ROOT.resolve("server/src/main/java"));
        roots.add(ROOT.resolve("webapp/src/main/java"));
        roots.add(ROOT.resolve("cli/src/main/java"));
        roots.add(ROOT.resolve("pki/src/main/java"));
        try (Stream<Path> plugins = Files.list(ROOT.resolve("plugins"))) {
            plugins.map(p -> p.resolve("src/main/java")).filter(Files::isDirectory).forEach(roots::add);
        }
        for (Path root : roots) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    String path = f.toString().replace('\\', '/');
                    if (LEFT_TO_CHANNEL_MD.stream().anyMatch(path::contains)) {
                        continue;
                    }
                    var m = REFUSAL.matcher(Files.readString(f));
                    while (m.find()) {
                        codes.putIfAbsent(m.group(1), ROOT.relativize(f).toString());
                    }
                }
            }
        }
        return codes;
    }
}
