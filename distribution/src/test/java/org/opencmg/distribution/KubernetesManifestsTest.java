package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.connectionpoint.ConnectionPointConfig;
import org.opencmg.server.config.GatewayConfig;
import org.w3c.dom.Element;

/**
 * deploy/kubernetes: every manifest parses, and the references between them hold — Service selectors
 * and target ports meet a workload's pods, probes use declared ports and the gateway's health paths,
 * every Secret, ConfigMap and key a pod uses exists, the image is the one the build makes (Jib), pods
 * run as its non-root user without capabilities — and the gateway.yaml and connection-point.yaml they
 * carry load with the product's own config classes and name files the pods actually mount. Checked
 * on the files as written, and on what {@code kubectl kustomize} renders from them (with its hashed
 * names) when kubectl is installed.
 */
class KubernetesManifestsTest {

    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Path KUBE = ROOT.resolve("deploy/kubernetes");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> WORKLOADS = Set.of("Deployment", "StatefulSet");
    private static final String POD_NAME = "statefulset.kubernetes.io/pod-name";

    @TempDir
    Path temp;

    @Test
    void gatewayManifestsAreConsistent() throws Exception {
        var docs = asWritten(KUBE.resolve("gateway"));
        checkReferences(docs);
        var gateway = workload(docs, "StatefulSet", "opencmg-gateway");
        var container = gateway.path("spec")
                .path("template")
                .path("spec")
                .path("containers")
                .get(0);

        // Probes: the client connector, HTTPS, the gateway's own health paths.
        assertThat(container.path("readinessProbe").path("httpGet").path("path").asText())
                .isEqualTo("/health/ready");
        assertThat(container.path("livenessProbe").path("httpGet").path("path").asText())
                .isEqualTo("/health/live");
        for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
            var get = container.path(probe).path("httpGet");
            assertThat(get.path("scheme").asText()).as(probe).isEqualTo("HTTPS");
            assertThat(get.path("port").asText()).as(probe).isEqualTo("client");
        }

        // The gateway.yaml the pods get, read by the gateway's own loader, against the pod.
        var config = GatewayConfig.load(KUBE.resolve("gateway/gateway.yaml"));
        assertThat(containerPort(container, "client")).isEqualTo(config.client().port());
        assertThat(containerPort(container, "channel"))
                .isEqualTo(config.channel().port());
        assertThat(config.client().port())
                .as("no capability in the pod: a port of 1024 or above")
                .isGreaterThanOrEqualTo(1024);
        assertThat(config.admin().host())
                .as("the admin connector is not exposed")
                .isEqualTo("127.0.0.1");
        var mounted = mountedFiles(docs, gateway, container);
        assertThat(mounted)
                .contains(
                        configArgument(container),
                        config.client().certificate().toString(),
                        config.client().key().toString(),
                        config.adminAccount().initialPasswordFile().toString(),
                        config.database().passwordFile().toString());
        assertThat(config.channel().certificate()).isEqualTo(config.client().certificate());
        assertThat(config.database().url()).startsWith("jdbc:postgresql://");
        assertThat(envFromSecret(docs, container, config.secrets().masterKeyEnv()))
                .as("the master key comes from a Secret through "
                        + config.secrets().masterKeyEnv())
                .isTrue();
        assertThat(config.dataDir().toString()).isIn(mountPaths(container));

        // Devices: a LoadBalancer on 443 to the client port. Channel: a headless Service (the
        // StatefulSet's) and one LoadBalancer per instance, all publishing pods that are not ready yet.
        var client = named(docs, "Service", "opencmg-gateway");
        assertThat(client.path("spec").path("type").asText()).isEqualTo("LoadBalancer");
        assertThat(client.path("spec").path("ports").get(0).path("port").asInt())
                .isEqualTo(443);
        assertThat(client.path("spec").path("ports").get(0).path("targetPort").asText())
                .isEqualTo("client");
        var headless =
                named(docs, "Service", gateway.path("spec").path("serviceName").asText());
        assertThat(headless.path("spec").path("clusterIP").asText()).isEqualTo("None");
        int replicas = gateway.path("spec").path("replicas").asInt();
        for (int i = 0; i < replicas; i++) {
            var perInstance = named(docs, "Service", "opencmg-gateway-" + i + "-channel");
            assertThat(perInstance.path("spec").path("selector").path(POD_NAME).asText())
                    .isEqualTo("opencmg-gateway-" + i);
        }
        for (JsonNode service : ofKind(docs, "Service")) {
            boolean channel = false;
            for (JsonNode port : service.path("spec").path("ports")) {
                channel |= port.path("targetPort").asText().equals("channel");
            }
            assertThat(!channel
                            || service.path("spec")
                                    .path("publishNotReadyAddresses")
                                    .asBoolean())
                    .as("%s: an instance is ready only after connection points dialled it", name(service))
                    .isTrue();
        }
    }

    @Test
    void connectionPointManifestsAreConsistent() throws Exception {
        var docs = asWritten(KUBE.resolve("connection-point"));
        checkReferences(docs);
        var point = workload(docs, "Deployment", "opencmg-connection-point");
        assertThat(point.path("spec").path("replicas").asInt())
                .as("one process per connection ID")
                .isEqualTo(1);
        var container = point.path("spec")
                .path("template")
                .path("spec")
                .path("containers")
                .get(0);
        assertThat(container.path("args").get(0).asText()).isEqualTo("connection-point");

        var config = ConnectionPointConfig.load(KUBE.resolve("connection-point/connection-point.example.yaml"));
        var mounted = mountedFiles(docs, point, container);
        assertThat(mounted)
                .contains(
                        configArgument(container),
                        config.certificate().toString(),
                        config.key().toString(),
                        config.gatewayCa().toString(),
                        config.internal().ca().toString());

        // Its probes reach the monitor listener the config turns on.
        assertThat(config.monitor()).isNotNull();
        assertThat(containerPort(container, "monitor"))
                .isEqualTo(config.monitor().port());
        assertThat(container.path("readinessProbe").path("httpGet").path("path").asText())
                .isEqualTo("/health/ready");
        assertThat(container.path("livenessProbe").path("httpGet").path("path").asText())
                .isEqualTo("/health/live");

        // It dials every gateway instance on the gateway's channel port.
        var gatewayDocs = asWritten(KUBE.resolve("gateway"));
        var gateway = workload(gatewayDocs, "StatefulSet", "opencmg-gateway");
        var gatewayConfig = GatewayConfig.load(KUBE.resolve("gateway/gateway.yaml"));
        assertThat(config.gateways())
                .hasSize(gateway.path("spec").path("replicas").asInt());
        assertThat(config.gateways())
                .extracting(URI::getPort)
                .containsOnly(gatewayConfig.channel().port());
        assertThat(config.gateways()).extracting(URI::getScheme).containsOnly("https");
    }

    /** What kubectl kustomize makes of them: it renders, and its output (hashed names) holds together too. */
    @Test
    void kubectlKustomizeRendersBothAndTheReferencesStillHold() throws Exception {
        Optional<Path> kubectl = Stream.of("/usr/bin/kubectl", "/usr/local/bin/kubectl")
                .map(Path::of)
                .filter(Files::isExecutable)
                .findFirst();
        assumeTrue(kubectl.isPresent(), "kubectl is not installed");
        for (String part : List.of("gateway", "connection-point")) {
            Path copy = copyWithPlaceholderFiles(KUBE.resolve(part), temp.resolve(part));
            var process = new ProcessBuilder(kubectl.get().toString(), "kustomize", copy.toString())
                    .redirectError(temp.resolve(part + ".err").toFile())
                    .start();
            String rendered = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue())
                    .as(Files.readString(temp.resolve(part + ".err")))
                    .isZero();
            var docs = readAll(rendered);
            checkReferences(docs);
            assertThat(ofKind(docs, "Namespace")).hasSize(1);
            for (JsonNode doc : docs) {
                if (!doc.path("kind").asText().equals("Namespace")) {
                    assertThat(doc.path("metadata").path("namespace").asText())
                            .as(name(doc))
                            .isEqualTo(ofKind(docs, "Namespace")
                                    .getFirst()
                                    .path("metadata")
                                    .path("name")
                                    .asText());
                }
            }
        }
    }

    // ---- the reference checks, for manifests as written and as rendered -------------------------

    private void checkReferences(List<JsonNode> docs) throws Exception {
        for (JsonNode doc : docs) {
            assertThat(doc.path("apiVersion").asText())
                    .as("apiVersion of %s", doc)
                    .isNotBlank();
            assertThat(doc.path("kind").asText()).as("kind of %s", doc).isNotBlank();
            assertThat(doc.path("metadata").path("name").asText())
                    .as("name of %s", doc)
                    .isNotBlank();
        }
        var jib = jib();
        var workloads = docs.stream()
                .filter(d -> WORKLOADS.contains(d.path("kind").asText()))
                .toList();
        assertThat(workloads).isNotEmpty();
        for (JsonNode w : workloads) {
            var template = w.path("spec").path("template");
            var labels = template.path("metadata").path("labels");
            w.path("spec")
                    .path("selector")
                    .path("matchLabels")
                    .properties()
                    .forEach(e -> assertThat(labels.path(e.getKey()).asText())
                            .as("%s: selector %s", name(w), e.getKey())
                            .isEqualTo(e.getValue().asText()));
            var pod = template.path("spec");
            assertThat(pod.path("securityContext").path("runAsNonRoot").asBoolean())
                    .as(name(w))
                    .isTrue();
            assertThat(pod.path("securityContext").path("runAsUser").asText() + ":"
                            + pod.path("securityContext").path("runAsGroup").asText())
                    .as("%s runs as the image's user", name(w))
                    .isEqualTo(jib.user());
            assertThat(pod.path("automountServiceAccountToken").asBoolean(true))
                    .as(name(w))
                    .isFalse();
            var volumes = new HashMap<String, JsonNode>();
            pod.path("volumes").forEach(v -> volumes.put(v.path("name").asText(), v));
            for (JsonNode c : pod.path("containers")) {
                String where = name(w) + "/" + c.path("name").asText();
                assertThat(c.path("image").asText()).as(where).isEqualTo(jib.image());
                var sc = c.path("securityContext");
                assertThat(sc.path("allowPrivilegeEscalation").asBoolean(true))
                        .as(where)
                        .isFalse();
                assertThat(sc.path("readOnlyRootFilesystem").asBoolean())
                        .as(where)
                        .isTrue();
                assertThat(sc.path("capabilities").path("drop").toString())
                        .as(where)
                        .contains("\"ALL\"");
                assertThat(sc.path("capabilities").path("add").isMissingNode())
                        .as(where)
                        .isTrue();
                for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
                    var get = c.path(probe).path("httpGet");
                    if (!get.isMissingNode()) {
                        assertThat(hasPort(c, get.path("port")))
                                .as("%s %s port %s is a container port", where, probe, get.path("port"))
                                .isTrue();
                    }
                }
                for (JsonNode env : c.path("env")) {
                    var from = env.path("valueFrom");
                    for (String ref : List.of("secretKeyRef", "configMapKeyRef")) {
                        if (from.has(ref)) {
                            requireKey(
                                    docs,
                                    ref.startsWith("secret") ? "Secret" : "ConfigMap",
                                    from.path(ref).path("name").asText(),
                                    from.path(ref).path("key").asText(),
                                    where + " env " + env.path("name").asText());
                        }
                    }
                }
                for (JsonNode mount : c.path("volumeMounts")) {
                    assertThat(volumes)
                            .as("%s mounts %s", where, mount.path("name").asText())
                            .containsKey(mount.path("name").asText());
                }
            }
            for (JsonNode v : volumes.values()) {
                var sources = new ArrayList<JsonNode>();
                if (v.has("projected")) {
                    v.path("projected").path("sources").forEach(sources::add);
                } else {
                    sources.add(v);
                }
                for (JsonNode s : sources) {
                    if (s.has("secret")) {
                        String secret = s.path("secret").has("secretName")
                                ? s.path("secret").path("secretName").asText()
                                : s.path("secret").path("name").asText();
                        requireItems(
                                docs,
                                "Secret",
                                secret,
                                s.path("secret").path("items"),
                                name(w) + " volume " + v.path("name").asText());
                    }
                    if (s.has("configMap")) {
                        requireItems(
                                docs,
                                "ConfigMap",
                                s.path("configMap").path("name").asText(),
                                s.path("configMap").path("items"),
                                name(w) + " volume " + v.path("name").asText());
                    }
                }
            }
        }
        for (JsonNode service : ofKind(docs, "Service")) {
            var selector = service.path("spec").path("selector");
            assertThat(selector.isEmpty()).as("%s selects pods", name(service)).isFalse();
            var selected = workloads.stream().filter(w -> selects(selector, w)).toList();
            assertThat(selected).as("workloads %s selects", name(service)).hasSize(1);
            var container = selected.getFirst()
                    .path("spec")
                    .path("template")
                    .path("spec")
                    .path("containers")
                    .get(0);
            for (JsonNode port : service.path("spec").path("ports")) {
                assertThat(hasPort(container, port.has("targetPort") ? port.path("targetPort") : port.path("port")))
                        .as(
                                "%s targets port %s of %s",
                                name(service), port.path("targetPort"), name(selected.getFirst()))
                        .isTrue();
            }
        }
        for (JsonNode sts : ofKind(docs, "StatefulSet")) {
            var governing =
                    named(docs, "Service", sts.path("spec").path("serviceName").asText());
            assertThat(governing.path("spec").path("clusterIP").asText())
                    .as("%s's serviceName is headless", name(sts))
                    .isEqualTo("None");
        }
    }

    private static boolean selects(JsonNode selector, JsonNode workload) {
        var labels = workload.path("spec").path("template").path("metadata").path("labels");
        for (var e : selector.properties()) {
            if (e.getKey().equals(POD_NAME)) {
                // Set by the StatefulSet controller on pod N: NAME-N, N below replicas.
                String prefix = workload.path("metadata").path("name").asText() + "-";
                String pod = e.getValue().asText();
                if (!workload.path("kind").asText().equals("StatefulSet")
                        || !pod.startsWith(prefix)
                        || !pod.substring(prefix.length()).matches("\\d+")
                        || Integer.parseInt(pod.substring(prefix.length()))
                                >= workload.path("spec").path("replicas").asInt(1)) {
                    return false;
                }
            } else if (!labels.path(e.getKey()).asText().equals(e.getValue().asText())) {
                return false;
            }
        }
        return true;
    }

    private static boolean hasPort(JsonNode container, JsonNode port) {
        for (JsonNode p : container.path("ports")) {
            if (port.isNumber()
                    ? p.path("containerPort").asInt() == port.asInt()
                    : p.path("name").asText().equals(port.asText())) {
                return true;
            }
        }
        return false;
    }

    private static int containerPort(JsonNode container, String name) {
        for (JsonNode p : container.path("ports")) {
            if (p.path("name").asText().equals(name)) {
                return p.path("containerPort").asInt();
            }
        }
        throw new AssertionError("no container port " + name);
    }

    private static void requireKey(List<JsonNode> docs, String kind, String name, String key, String usedBy) {
        var object = named(docs, kind, name);
        assertThat(object.path("data").has(key) || object.path("stringData").has(key))
                .as("%s uses key %s of %s %s", usedBy, key, kind, name)
                .isTrue();
    }

    private static void requireItems(List<JsonNode> docs, String kind, String name, JsonNode items, String usedBy) {
        named(docs, kind, name);
        for (JsonNode item : items) {
            requireKey(docs, kind, name, item.path("key").asText(), usedBy);
        }
    }

    /** Every file path the container sees through its mounts (mount path + item path, or + key). */
    private static Set<String> mountedFiles(List<JsonNode> docs, JsonNode workload, JsonNode container) {
        var volumes = new HashMap<String, JsonNode>();
        workload.path("spec")
                .path("template")
                .path("spec")
                .path("volumes")
                .forEach(v -> volumes.put(v.path("name").asText(), v));
        var files = new LinkedHashSet<String>();
        for (JsonNode mount : container.path("volumeMounts")) {
            var v = volumes.get(mount.path("name").asText());
            String base = mount.path("mountPath").asText();
            var sources = new ArrayList<JsonNode>();
            if (v.has("projected")) {
                v.path("projected").path("sources").forEach(sources::add);
            } else {
                sources.add(v);
            }
            for (JsonNode s : sources) {
                for (String kind : List.of("secret", "configMap")) {
                    if (!s.has(kind)) {
                        continue;
                    }
                    var ref = s.path(kind);
                    if (ref.has("items")) {
                        ref.path("items")
                                .forEach(i ->
                                        files.add(base + "/" + i.path("path").asText()));
                    } else {
                        var object = named(
                                docs,
                                kind.equals("secret") ? "Secret" : "ConfigMap",
                                ref.has("secretName")
                                        ? ref.path("secretName").asText()
                                        : ref.path("name").asText());
                        object.path("data").fieldNames().forEachRemaining(k -> files.add(base + "/" + k));
                    }
                }
            }
        }
        return files;
    }

    private static List<String> mountPaths(JsonNode container) {
        var paths = new ArrayList<String>();
        container
                .path("volumeMounts")
                .forEach(m -> paths.add(m.path("mountPath").asText()));
        return paths;
    }

    private static String configArgument(JsonNode container) {
        var args = new ArrayList<String>();
        container.path("args").forEach(a -> args.add(a.asText()));
        int i = args.indexOf("--config");
        assertThat(i).as("--config in %s", args).isNotNegative();
        return args.get(i + 1);
    }

    private static boolean envFromSecret(List<JsonNode> docs, JsonNode container, String variable) {
        for (JsonNode env : container.path("env")) {
            if (env.path("name").asText().equals(variable)
                    && env.path("valueFrom").has("secretKeyRef")) {
                return true;
            }
        }
        return false;
    }

    // ---- reading ---------------------------------------------------------------------------------

    /**
     * The resources a kustomization lists, plus the ConfigMaps and Secrets its generators make (with
     * their keys; a generator's file outside files/ must exist, files/ are the operator's).
     */
    private static List<JsonNode> asWritten(Path dir) throws IOException {
        var kustomization = YAML.readTree(dir.resolve("kustomization.yaml").toFile());
        var docs = new ArrayList<JsonNode>();
        for (JsonNode resource : kustomization.path("resources")) {
            docs.addAll(readAll(Files.readString(dir.resolve(resource.asText()))));
        }
        for (String generator : List.of("configMapGenerator", "secretGenerator")) {
            for (JsonNode g : kustomization.path(generator)) {
                ObjectNode made = JsonNodeFactory.instance.objectNode();
                made.put("apiVersion", "v1").put("kind", generator.startsWith("secret") ? "Secret" : "ConfigMap");
                made.putObject("metadata").put("name", g.path("name").asText());
                ObjectNode data = made.putObject("data");
                for (JsonNode file : g.path("files")) {
                    String[] keyAndPath = file.asText().split("=", 2);
                    String path = keyAndPath[keyAndPath.length - 1];
                    String key = keyAndPath.length == 2
                            ? keyAndPath[0]
                            : Path.of(path).getFileName().toString();
                    if (!path.startsWith("files/")) { // files/ holds the operator's own, never committed
                        assertThat(dir.resolve(path))
                                .as("%s of %s", path, g.path("name").asText())
                                .isRegularFile();
                    }
                    data.put(key, "");
                }
                for (JsonNode literal : g.path("literals")) {
                    data.put(literal.asText().split("=", 2)[0], "");
                }
                docs.add(made);
            }
        }
        return docs;
    }

    private static List<JsonNode> readAll(String yaml) throws IOException {
        var docs = new ArrayList<JsonNode>();
        try (var it = YAML.readerFor(JsonNode.class).<JsonNode>readValues(yaml)) {
            while (it.hasNext()) {
                var doc = it.next();
                if (doc != null && !doc.isNull() && !doc.isEmpty()) {
                    docs.add(doc);
                }
            }
        }
        return docs;
    }

    /** A copy with a stand-in for every operator file (the example config for connection-point.yaml). */
    private static Path copyWithPlaceholderFiles(Path dir, Path copy) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.toList()) {
                Path target = copy.resolve(dir.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
        var kustomization = YAML.readTree(copy.resolve("kustomization.yaml").toFile());
        for (String generator : List.of("configMapGenerator", "secretGenerator")) {
            for (JsonNode g : kustomization.path(generator)) {
                for (JsonNode file : g.path("files")) {
                    String path = file.asText().substring(file.asText().indexOf('=') + 1);
                    Path target = copy.resolve(path);
                    if (!Files.exists(target)) {
                        Files.createDirectories(target.getParent());
                        Path example =
                                copy.resolve(target.getFileName().toString().replace(".yaml", ".example.yaml"));
                        Files.writeString(
                                target,
                                path.endsWith(".yaml") && Files.exists(example)
                                        ? Files.readString(example)
                                        : "placeholder\n");
                    }
                }
            }
        }
        return copy;
    }

    /** The image name and user of the Jib build in distribution/pom.xml, with the project's version. */
    private record Jib(String image, String user) {}

    private static Jib jib() throws Exception {
        var pom = DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(ROOT.resolve("distribution/pom.xml").toFile());
        var plugins = pom.getElementsByTagName("plugin");
        for (int i = 0; i < plugins.getLength(); i++) {
            var plugin = (Element) plugins.item(i);
            if (text(plugin, "artifactId").equals("jib-maven-plugin")) {
                var configuration =
                        (Element) plugin.getElementsByTagName("configuration").item(0);
                var to = (Element) configuration.getElementsByTagName("to").item(0);
                String version = Objects.requireNonNull(System.getProperty("cmg.version"), "cmg.version");
                return new Jib(
                        text(to, "image").replace("${project.version}", version),
                        text(
                                (Element) configuration
                                        .getElementsByTagName("container")
                                        .item(0),
                                "user"));
            }
        }
        throw new AssertionError("no jib-maven-plugin in distribution/pom.xml");
    }

    private static String text(Element parent, String tag) {
        var nodes = parent.getElementsByTagName(tag);
        return nodes.getLength() == 0 ? "" : nodes.item(0).getTextContent().strip();
    }

    // ---- lookups -----------------------------------------------------------------------------------

    private static List<JsonNode> ofKind(List<JsonNode> docs, String kind) {
        return docs.stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
    }

    private static String name(JsonNode doc) {
        return doc.path("kind").asText() + " "
                + doc.path("metadata").path("name").asText();
    }

    /** The one object of that kind and name (kustomize's output names generated objects NAME-HASH everywhere). */
    private static JsonNode named(List<JsonNode> docs, String kind, String name) {
        var found = ofKind(docs, kind).stream()
                .filter(d -> d.path("metadata").path("name").asText().equals(name))
                .toList();
        assertThat(found).as("%s %s", kind, name).hasSize(1);
        return found.getFirst();
    }

    private static JsonNode workload(List<JsonNode> docs, String kind, String name) {
        return named(docs, kind, name);
    }
}
