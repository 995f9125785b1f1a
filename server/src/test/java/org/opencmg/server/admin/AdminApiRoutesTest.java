package org.opencmg.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Locale;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/admin-api.yaml (OpenAPI 3) and the admin API agree: every route AdminApiServlet serves
 * ({@code case "resource METHOD"} of its router) is in the file with that method, every /api
 * operation of the file is either such a route or belongs to a plugin's AdminResource (tokens,
 * devices, content), and every plugin resource is in the file.
 */
class AdminApiRoutesTest {

    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Pattern ROUTE = Pattern.compile("case \"([a-z-]+) (GET|POST|PUT|DELETE|PATCH)\" ->");
    private static final Pattern PLUGIN_RESOURCE = Pattern.compile("String name\\(\\)\\s*\\{\\s*return \"([a-z-]+)\";");
    private static final Pattern API_PATH = Pattern.compile("/api/([a-z-]+)(/\\{[a-z0-9_]+\\})?");

    @Test
    void theOpenApiFileAndTheServletServeTheSameRoutes() throws Exception {
        var served = new TreeSet<String>();
        var core = new TreeSet<String>();
        var m = ROUTE.matcher(
                Files.readString(ROOT.resolve("server/src/main/java/org/opencmg/server/admin/AdminApiServlet.java")));
        while (m.find()) {
            served.add(m.group(1) + " " + m.group(2));
            core.add(m.group(1));
        }
        assertThat(served).as("the router's routes are found").contains("status GET", "roots DELETE", "settings PUT");

        var plugins = pluginResources();
        assertThat(plugins).as("the plugins' admin resources are found").contains("tokens", "devices", "content");

        var api = new ObjectMapper(new YAMLFactory())
                .readTree(ROOT.resolve("docs/admin-api.yaml").toFile());
        assertThat(api.path("openapi").asText()).startsWith("3.");
        var documented = new TreeSet<String>();
        var unknown = new ArrayList<String>();
        var documentedPlugins = new TreeSet<String>();
        for (var path : api.path("paths").properties()) {
            if (!path.getKey().startsWith("/api/")) {
                continue; // /metrics: the metrics servlet
            }
            String resource = path.getKey().substring("/api/".length()).split("/")[0];
            for (var operation : path.getValue().properties()) {
                String method = operation.getKey().toUpperCase(Locale.ROOT);
                if (core.contains(resource)) {
                    // The servlet routes /api/RESOURCE and /api/RESOURCE/ID, nothing deeper.
                    if (!API_PATH.matcher(path.getKey()).matches()) {
                        unknown.add(method + " " + path.getKey() + " (the servlet routes /api/RESOURCE[/ID] only)");
                    }
                    documented.add(resource + " " + method);
                } else if (plugins.contains(resource)) {
                    documentedPlugins.add(resource);
                } else {
                    unknown.add(method + " " + path.getKey());
                }
                assertThat(operation.getValue().path("responses").isEmpty())
                        .as("%s %s has responses", method, path.getKey())
                        .isFalse();
            }
        }
        assertThat(unknown)
                .as("operations in docs/admin-api.yaml that nothing serves")
                .isEmpty();
        assertThat(documented)
                .as("routes of AdminApiServlet, as documented in docs/admin-api.yaml")
                .isEqualTo(served);
        assertThat(documentedPlugins)
                .as("plugin admin resources in docs/admin-api.yaml")
                .isEqualTo(plugins);
    }

    private static TreeSet<String> pluginResources() throws Exception {
        var names = new TreeSet<String>();
        try (Stream<Path> files = Files.walk(ROOT.resolve("plugins"))) {
            for (Path f : files.filter(
                            p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/"))
                    .toList()) {
                String source = Files.readString(f);
                if (source.contains("AdminResource")) {
                    var m = PLUGIN_RESOURCE.matcher(source);
                    while (m.find()) {
                        names.add(m.group(1));
                    }
                }
            }
        }
        return names;
    }
}
