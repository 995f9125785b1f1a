package org.opencmg.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Style the formatter cannot enforce, over the main code of every module: a type is named by its
 * simple name and imported, not written out in full where it is used. The one exception is a
 * name clash, where the file imports another type of the same simple name (two Jetty
 * {@code Callback}s, say).
 */
class SourceStyleTest {

    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Pattern FQN = Pattern.compile(
            "(?<![\\w.@\"])((?:java|javax|jakarta|org|com|io|net)(?:\\.[a-z_][a-z0-9_]*)+)\\.([A-Z][A-Za-z0-9_]*)");
    private static final Pattern IMPORT = Pattern.compile("^import ([\\w.]+)\\.(\\w+);", Pattern.MULTILINE);

    @Test
    void mainCodeNamesTypesByTheirImportedSimpleNames() throws IOException {
        List<String> inline = new ArrayList<>();
        for (Path file : mainSources()) {
            String source = Files.readString(file);
            Map<String, String> imported = new HashMap<>();
            Matcher im = IMPORT.matcher(source);
            while (im.find()) {
                imported.put(im.group(2), im.group(1) + "." + im.group(2));
            }
            boolean inComment = false;
            int n = 0;
            for (String line : source.split("\n", -1)) {
                n++;
                String s = line.strip();
                if (inComment
                        || s.startsWith("/*")
                        || s.startsWith("*")
                        || s.startsWith("//")
                        || s.startsWith("import ")
                        || s.startsWith("package ")) {
                    inComment = (inComment || s.startsWith("/*")) && !s.contains("*/");
                    continue;
                }
                String code = line.replaceAll("\"(?:\\\\.|[^\"\\\\])*\"", "\"\"");
                int comment = code.indexOf("//");
                Matcher m = FQN.matcher(comment >= 0 ? code.substring(0, comment) : code);
                while (m.find()) {
                    String fqn = m.group(1) + "." + m.group(2);
                    boolean clash = imported.containsKey(m.group(2))
                            && !imported.get(m.group(2)).equals(fqn);
                    if (!clash) {
                        inline.add(ROOT.relativize(file) + ":" + n + " " + fqn);
                    }
                }
            }
        }
        assertThat(inline)
                .as("fully-qualified type names in main code (import them)")
                .isEmpty();
    }

    static List<Path> mainSources() throws IOException {
        List<Path> roots = new ArrayList<>();
        for (Path parent : List.of(ROOT, ROOT.resolve("plugins"))) {
            try (Stream<Path> modules = Files.list(parent)) {
                modules.map(m -> m.resolve("src/main/java"))
                        .filter(Files::isDirectory)
                        .forEach(roots::add);
            }
        }
        assertThat(roots).as("the modules' main sources").anyMatch(r -> r.startsWith(ROOT.resolve("server")));
        List<Path> files = new ArrayList<>();
        for (Path root : roots) {
            try (Stream<Path> walk = Files.walk(root)) {
                walk.filter(p -> p.toString().endsWith(".java")).forEach(files::add);
            }
        }
        return files;
    }
}
