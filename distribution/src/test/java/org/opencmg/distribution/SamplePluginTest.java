package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.tools.ToolProvider;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.api.Device;
import org.opencmg.api.GatewayService;
import org.opencmg.api.ServiceRequest;
import org.w3c.dom.Element;

/**
 * samples/plugin-hello builds against this build's plugin-api: its pom asks for
 * org.opencmg:plugin-api at the project's version, its sources compile against plugin-api and PF4J
 * alone with PF4J's annotation processor (which lists the extension, as the gateway's PF4J finds
 * it), and the extension answers a device.
 */
class SamplePluginTest {

    private static final Path SAMPLE =
            Path.of(System.getProperty("user.dir")).getParent().resolve("samples/plugin-hello");

    @TempDir
    Path classes;

    @Test
    void itsPomAsksForThisBuildsPluginApi() throws Exception {
        var pom = DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(SAMPLE.resolve("pom.xml").toFile());
        var properties = (Element) pom.getElementsByTagName("properties").item(0);
        assertThat(properties.getElementsByTagName("opencmg.version").item(0).getTextContent())
                .isEqualTo(System.getProperty("cmg.version"));
        var dependencies = pom.getElementsByTagName("dependency");
        var found = new ArrayList<String>();
        for (int i = 0; i < dependencies.getLength(); i++) {
            var d = (Element) dependencies.item(i);
            found.add(text(d, "groupId") + ":" + text(d, "artifactId") + ":" + text(d, "version") + ":"
                    + text(d, "scope"));
        }
        assertThat(found).contains("org.opencmg:plugin-api:${opencmg.version}:provided");
        assertThat(found).allMatch(d -> d.endsWith(":provided"), "the gateway provides every dependency");
    }

    @Test
    void itCompilesAgainstPluginApiAndItsExtensionAnswers() throws Exception {
        List<String> sources;
        try (Stream<Path> files = Files.walk(SAMPLE.resolve("src/main/java"))) {
            sources = files.filter(p -> p.toString().endsWith(".java"))
                    .map(Path::toString)
                    .toList();
        }
        // plugin-api and PF4J only: the classpath entries of those two, not the whole test classpath.
        String classpath = String.join(
                java.io.File.pathSeparator,
                Stream.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                        .filter(e -> e.contains("plugin-api") || e.contains("pf4j"))
                        .toList());
        assertThat(classpath).contains("plugin-api").contains("pf4j");
        var args =
                new ArrayList<>(List.of("--release", "21", "-proc:full", "-cp", classpath, "-d", classes.toString()));
        args.addAll(sources);
        var errors = new java.io.ByteArrayOutputStream();
        int exit = ToolProvider.getSystemJavaCompiler().run(null, errors, errors, args.toArray(String[]::new));
        assertThat(exit).as(errors.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(Files.readString(classes.resolve("META-INF/extensions.idx")))
                .contains("org.example.hello.HelloService");

        try (var loader = new URLClassLoader(
                new java.net.URL[] {classes.toUri().toURL()}, GatewayService.class.getClassLoader())) {
            var service = (GatewayService) loader.loadClass("org.example.hello.HelloService")
                    .getConstructor()
                    .newInstance();
            assertThat(service.paths()).containsExactly("/hello");
            var reply = service.handle(new ServiceRequest(
                    "GET",
                    "/hello",
                    "",
                    Map.of(),
                    Map.of(),
                    new byte[0],
                    List.of(new Device("ab12", "pki", "device-1", Map.of())),
                    new InetSocketAddress("127.0.0.1", 40000)));
            assertThat(reply.status()).isEqualTo(200);
            assertThat(new String(reply.body(), StandardCharsets.UTF_8)).isEqualTo("hello, device-1 (pki)\n");
        }
    }

    private static String text(Element parent, String tag) {
        var nodes = parent.getElementsByTagName(tag);
        return nodes.getLength() == 0 ? "" : nodes.item(0).getTextContent().strip();
    }
}
