package org.opencmg.server.plugin;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaFileObject;
import javax.tools.ToolProvider;
import org.opencmg.api.Authenticator;
import org.pf4j.Extension;

/**
 * Builds real PF4J plugin JARs: compiles Java source with the system compiler (PF4J's annotation
 * processor writes META-INF/extensions.idx) and jars the classes with a plugin manifest.
 */
final class PluginJars {

    private PluginJars() {}

    /** Source of an {@link Authenticator} extension taking a PluginContext; bodies may use {@code context}, {@code request}. */
    static String authenticator(String className, String method, String constructorBody, String authenticateBody) {
        int dot = className.lastIndexOf('.');
        return """
                package %s;

                import java.util.Map;
                import org.opencmg.api.AuthOutcome;
                import org.opencmg.api.Authenticator;
                import org.opencmg.api.ClientRequest;
                import org.opencmg.api.Device;
                import org.opencmg.api.PluginContext;

                @org.pf4j.Extension
                public class %s implements Authenticator {

                    private final PluginContext context;

                    public %s(PluginContext context) {
                        this.context = context;
                        %s
                    }

                    @Override
                    public String method() {
                        return "%s";
                    }

                    @Override
                    public AuthOutcome authenticate(ClientRequest request) {
                        %s
                    }
                }
                """.formatted(
                        className.substring(0, dot),
                        className.substring(dot + 1),
                        className.substring(dot + 1),
                        constructorBody,
                        method,
                        authenticateBody);
    }

    /** Compiles the sources (class name → source) and writes {@code <pluginsDir>/<id>-<version>.jar}. */
    static Path build(Path workDir, Path pluginsDir, String pluginId, String version, Map<String, String> sources) {
        return build(workDir, pluginsDir, pluginId, version, null, sources);
    }

    /** The same, with a PF4J {@code Plugin} class named in the manifest (null: none). */
    static Path build(
            Path workDir,
            Path pluginsDir,
            String pluginId,
            String version,
            String pluginClass,
            Map<String, String> sources) {
        try {
            Path src = Files.createDirectories(workDir.resolve(pluginId).resolve("src"));
            Path classes = Files.createDirectories(workDir.resolve(pluginId).resolve("classes"));
            var files = new ArrayList<Path>();
            for (var e : sources.entrySet()) {
                Path file = src.resolve(e.getKey().replace('.', '/') + ".java");
                Files.createDirectories(file.getParent());
                Files.writeString(file, e.getValue());
                files.add(file);
            }
            compile(files, classes);
            Files.createDirectories(pluginsDir);
            Path jar = pluginsDir.resolve(pluginId + "-" + version + ".jar");
            writeJar(classes, jar, pluginId, version, pluginClass);
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void compile(List<Path> files, Path classes) throws IOException {
        var javac = ToolProvider.getSystemJavaCompiler();
        var diagnostics = new DiagnosticCollector<JavaFileObject>();
        try (var fm = javac.getStandardFileManager(diagnostics, null, UTF_8)) {
            var options = List.of("-proc:full", "--release", "21", "-classpath", classpath(), "-d", classes.toString());
            boolean ok = javac.getTask(null, fm, diagnostics, options, null, fm.getJavaFileObjectsFromPaths(files))
                    .call();
            if (!ok) {
                throw new IllegalStateException("plugin source does not compile: " + diagnostics.getDiagnostics());
            }
        }
        if (!Files.exists(classes.resolve("META-INF/extensions.idx"))) {
            throw new IllegalStateException("PF4J's annotation processor did not write META-INF/extensions.idx");
        }
    }

    /**
     * The test's class path, plus the locations of the plugin API and PF4J themselves (surefire may
     * hide the real class path behind a manifest-only JAR).
     */
    private static String classpath() {
        var entries = new LinkedHashSet<String>(
                List.of(System.getProperty("java.class.path").split(File.pathSeparator)));
        for (Class<?> c : List.of(Authenticator.class, Extension.class)) {
            try {
                entries.add(Path.of(c.getProtectionDomain()
                                .getCodeSource()
                                .getLocation()
                                .toURI())
                        .toString());
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    private static void writeJar(Path classes, Path jar, String pluginId, String version, String pluginClass)
            throws IOException {
        var manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Plugin-Id", pluginId);
        main.putValue("Plugin-Version", version);
        if (pluginClass != null) {
            main.putValue("Plugin-Class", pluginClass);
        }
        try (var out = new JarOutputStream(Files.newOutputStream(jar), manifest);
                Stream<Path> walk = Files.walk(classes)) {
            for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(p).toString().replace(File.separatorChar, '/')));
                Files.copy(p, out);
                out.closeEntry();
            }
        }
    }
}
