package org.opencmg.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.opencmg.cli.client.AdminClient;
import org.opencmg.demo.DemoTenant;
import org.opencmg.pki.KeyMaterial;
import org.opencmg.server.json.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The active connection analyzer: a certificate device, a token device and an Entra device, each
 * through every gateway instance, every connection point and every published role, hop by hop.
 * This side checks what only a device can: TLS to each instance's client connector, and the token
 * service's trade of a device or Entra token for an access token; each instance's admin API
 * ({@code POST /api/analyze}) runs the rest over each of its channels. Exit 0 when every row
 * passed, 1 when one failed (or nothing could be analyzed), 2 on usage or an unreachable admin API.
 */
@Command(
        name = "analyze",
        description = {
            "Send synthetic requests as a certificate device, a token device and an Entra device through every gateway instance, "
                    + "every connection point and every published role, and print a per-hop verdict: TLS, authentication, mapping, "
                    + "channel, connection point, internal server, answer; a failure names its hop and reason code.",
            "With --demo DIR all three kinds of device run without other options. A kind of device without credentials is "
                    + "skipped, not failed. Each instance is reached through its admin API: the one of --demo or CMG_ADMIN_URL (or "
                    + "--admin-url), then the admin URL every instance the store lists as up advertises; one that cannot be "
                    + "reached fails the analysis."
        })
final class AnalyzeCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = Json.MAPPER;
    private static final String DEMO_IDENTITY = "analyzer-device";

    /** What a reason code met here means, in one line (the device's refusals: DeviceCommand's hints). */
    private static final Map<String, String> HINTS = Map.ofEntries(
            Map.entry(
                    "gateway_unreachable",
                    "no TCP connection to the client connector: is the instance up, the port open?"),
            Map.entry(
                    "tls_handshake_failed",
                    "the client connector's TLS handshake failed: check --ca, the gateway's certificate"
                            + " and name, enforce-tls12"),
            Map.entry(
                    "channel_down",
                    "the connection point has no usable channel to this instance: is it running, can it dial"
                            + " this instance's channel URL? (cmg status)"),
            Map.entry("channel_lost", "the channel failed during the exchange"),
            Map.entry("mapping_not_replicated", "the connection point has not received this mapping yet"),
            Map.entry("not_allowed_by_mapping", "the connection point's own table does not allow this method or path"),
            Map.entry(
                    "internal_url_not_allowed",
                    "the mapping's internal URL is outside the connection point's internal.allowed-urls"),
            Map.entry(
                    "internal_server_unreachable",
                    "the connection point cannot reach the internal server: is it running,"
                            + " is its certificate trusted by internal.ca?"),
            Map.entry("internal_server_timeout", "the internal server did not answer in time"),
            Map.entry("site_timeout", "no answer through the connection point within the request timeout"),
            Map.entry("internal_server_error", "the internal server answered with a 5xx status"),
            Map.entry(
                    "instance_not_analyzed",
                    "the store lists this instance as up, but its admin API could not be reached"
                            + " (membership.admin-url, or pass --admin-url)"),
            Map.entry("not_forwarded", "the path is answered by the gateway itself, not a site"));

    @Mixin
    AdminOptions admin;

    @Spec
    CommandSpec spec;

    @Option(
            names = "--admin-url",
            paramLabel = "URL",
            description = "The admin API of a gateway instance to start from "
                    + "(repeatable; default: the one of --demo or CMG_ADMIN_URL); the others are found in the instance table. The "
                    + "same login and CA are used for each.")
    List<URI> adminUrls = new ArrayList<>();

    @Option(
            names = "--client-url",
            paramLabel = "URL",
            description = "The client connector to check TLS on, for every instance "
                    + "(e.g. the load balancer; default: each instance's own client port on its admin URL's host).")
    URI clientUrl;

    @Option(
            names = "--ca",
            paramLabel = "FILE",
            description = "PEM of the CA of the gateway's client certificate (default: the "
                    + "demo's, or the JDK's trust store).")
    Path ca;

    @Option(
            names = "--cert",
            paramLabel = "FILE",
            description = "A certificate device's certificate (PEM, chain allowed).")
    Path cert;

    @Option(
            names = "--key",
            paramLabel = "FILE",
            description = "The certificate device's private key (PEM), for the TLS handshake.")
    Path key;

    @Option(
            names = "--identity",
            paramLabel = "DIR",
            description = "A token device's identity folder (cmg device register): its "
                    + "device token is traded at CCM_STS for an access token.")
    Path identity;

    @Option(
            names = "--token",
            paramLabel = "FILE",
            description = "A token device's access token (instead of --identity).")
    Path token;

    @Option(
            names = "--entra-token",
            paramLabel = "FILE",
            description = "An Entra ID device token, traded at CCM_STS for an access token.")
    Path entraToken;

    @Option(
            names = "--role",
            paramLabel = "ID",
            description = "A role ID that must be published (repeatable; default with --demo: "
                    + "its management point and software update point). Every published role is analyzed anyway.")
    List<String> roles = new ArrayList<>();

    @Option(
            names = "--kind",
            split = ",",
            paramLabel = "KIND",
            description = "Only these kinds of device: certificate, token, entra "
                    + "(comma-separated; default: every kind with credentials). The others are skipped.")
    List<String> kinds = new ArrayList<>();

    @Option(names = "--json", description = "Print the rows as JSON, for scripts.")
    boolean json;

    /** A kind of device as this side holds it: its TLS material and what it sends the admin API, or why it has none. */
    private record Device(
            String kind,
            KeyMaterial clientCert,
            String field,
            String credential,
            String authFailure,
            String authDetail) {}

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            return run(out);
        } catch (AdminClient.ApiException e) {
            err.println("refused (" + e.status + "): " + e.getMessage());
            return 2;
        } catch (IOException | GeneralSecurityException | IllegalArgumentException | DeviceCommand.UsageError e) {
            err.println("error: " + e.getMessage());
            return 2;
        } finally {
            out.flush();
            err.flush();
        }
    }

    private int run(PrintWriter out) throws IOException, GeneralSecurityException, DeviceCommand.UsageError {
        JsonNode demo = admin.demo == null
                ? null
                : JSON.readTree(admin.demo.resolve("demo.json").toFile());
        AdminClient first = admin.client();
        var clients = new ArrayList<AdminClient>();
        if (adminUrls.isEmpty()) {
            clients.add(first);
        } else {
            adminUrls.forEach(u -> clients.add(first.at(u)));
        }
        Path caFile = ca != null
                ? ca
                : demo != null ? admin.demo.resolve(demo.path("ca_cert").asText()) : null;
        var wanted = new LinkedHashSet<>(roles);
        if (wanted.isEmpty() && demo != null) {
            wanted.add(demo.path("mp_role_id").asText());
            wanted.add(demo.path("sup_role_id").asText());
        }

        // Each instance: its name and client connector, and which instances the store lists as up, with the
        // admin URL each advertises: those not reached yet are reached by it, with the same login and CA.
        var instances = new LinkedHashMap<String, AdminClient>();
        var clientUrls = new LinkedHashMap<String, URI>();
        var up = new LinkedHashMap<String, String>();
        var unreachable = new LinkedHashMap<String, String>();
        var queue = new ArrayDeque<>(clients);
        var asked = new LinkedHashSet<URI>();
        while (!queue.isEmpty()) {
            AdminClient c = queue.poll();
            if (!asked.add(c.base())) {
                continue;
            }
            JsonNode status;
            try {
                status = c.get("status");
            } catch (AdminClient.ApiException e) {
                throw e;
            } catch (IOException e) {
                if (clients.contains(c)) {
                    throw e; // an admin URL given: the operator wants to know at once
                }
                unreachable.put(c.base().toString(), e.getMessage());
                continue;
            }
            String name = status.path("instance").asText();
            instances.put(name, c);
            clientUrls.put(
                    name,
                    clientUrl != null
                            ? clientUrl
                            : URI.create("https://" + c.base().getHost() + ":"
                                    + status.path("client_port").asInt()));
            status.path("instances").forEach(i -> {
                if ("up".equals(i.path("state").asText())) {
                    String advertised = i.path("admin_url").asText("");
                    up.put(i.path("instance").asText(), advertised);
                    if (!advertised.isEmpty()
                            && !instances.containsKey(i.path("instance").asText())) {
                        queue.add(c.at(URI.create(advertised)));
                    }
                }
            });
        }
        URI anyClient = clientUrls.values().iterator().next();
        String stsRole = wanted.isEmpty() ? firstRole(first) : wanted.iterator().next();
        for (String k : kinds) {
            if (!List.of("certificate", "token", "entra").contains(k)) {
                throw new IllegalArgumentException("--kind takes certificate, token or entra, not " + k);
            }
        }
        List<Device> devices = devices(demo, first, caFile, anyClient, stsRole);

        ArrayNode rows = JSON.createArrayNode();
        for (var instance : instances.entrySet()) {
            URI client = clientUrls.get(instance.getKey());
            var body = JSON.createObjectNode();
            body.set("roles", JSON.valueToTree(wanted));
            var tlsHops = new LinkedHashMap<String, ObjectNode>();
            for (Device d : devices) {
                if (d.field() == null && d.authFailure() == null) {
                    continue; // no credentials: the instance reports it skipped
                }
                ObjectNode tls = tls(client, caFile, d.clientCert());
                tlsHops.put(d.kind(), tls);
                if (!"ok".equals(tls.path("verdict").asText())) {
                    rows.add(failedBefore(d.kind(), instance.getKey(), List.of(tls)));
                } else if (d.authFailure() != null) {
                    rows.add(failedBefore(
                            d.kind(),
                            instance.getKey(),
                            List.of(tls, hop("authentication", "failed", d.authFailure(), d.authDetail()))));
                } else {
                    body.put(d.field(), d.credential());
                }
            }
            JsonNode report = instance.getValue().post("analyze", JSON.writeValueAsBytes(body), "application/json");
            for (JsonNode row : report.path("rows")) {
                ObjectNode r = (ObjectNode) row;
                if ("skipped".equals(r.path("verdict").asText())
                        && tlsHops.containsKey(r.path("kind").asText())) {
                    continue; // this kind failed before the instance: its row is above
                }
                ArrayNode hops = JSON.createArrayNode();
                ObjectNode tls = tlsHops.get(r.path("kind").asText());
                if (tls != null) {
                    hops.add(tls);
                }
                hops.addAll((ArrayNode) r.path("hops"));
                r.set("hops", hops);
                rows.add(r);
            }
        }
        for (var member : up.entrySet()) {
            String name = member.getKey();
            if (!instances.containsKey(name)) {
                String url = member.getValue();
                ObjectNode r = JSON.createObjectNode();
                r.put("kind", "-")
                        .put("instance", name)
                        .put("verdict", "failed")
                        .put("failed_hop", "instance")
                        .put("reason", "instance_not_analyzed")
                        .put(
                                "detail",
                                url.isEmpty()
                                        ? "instance " + name + " advertises no admin URL and no --admin-url reaches it"
                                        : "its admin API " + url + " did not answer: "
                                                + unreachable.getOrDefault(url, "another instance answered there"));
                r.set("hops", JSON.createArrayNode());
                rows.add(r);
            }
        }
        boolean ran = false;
        boolean ok = true;
        for (JsonNode r : rows) {
            ran |= !"skipped".equals(r.path("verdict").asText());
            ok &= !"failed".equals(r.path("verdict").asText());
            ((ObjectNode) r).put("explanation", explanation(r));
        }
        if (json) {
            ObjectNode all = JSON.createObjectNode();
            all.put("ok", ok && ran);
            all.set("rows", rows);
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(all));
        } else {
            Table.print(out, rows, "kind", "instance", "connection_point", "role", "verdict", "explanation");
            out.println(
                    !ran
                            ? "nothing analyzed: give the credentials of at least one kind of device (or --demo DIR)"
                            : ok ? "all passed" : "FAILED");
        }
        return ok && ran ? 0 : 1;
    }

    /** "ok", "skipped: why", or "<hop>: <reason>: what it means". */
    private static String explanation(JsonNode r) {
        String verdict = r.path("verdict").asText();
        if ("skipped".equals(verdict)) {
            return r.path("detail").asText();
        }
        if (!"failed".equals(verdict)) {
            return "";
        }
        String reason = r.path("reason").asText();
        String hint = HINTS.getOrDefault(reason, DeviceCommand.hint(reason));
        return r.path("failed_hop").asText() + ": " + reason + ": "
                + (hint != null ? hint : r.path("detail").asText());
    }

    private static ObjectNode failedBefore(String kind, String instance, List<ObjectNode> hops) {
        ObjectNode last = hops.getLast();
        ObjectNode r = JSON.createObjectNode();
        r.put("kind", kind)
                .put("instance", instance)
                .putNull("connection_point")
                .putNull("role")
                .put("verdict", "failed")
                .put("failed_hop", last.path("name").asText())
                .put("reason", last.path("reason").asText())
                .put("detail", last.path("detail").asText());
        ArrayNode all = JSON.createArrayNode();
        hops.forEach(all::add);
        r.set("hops", all);
        return r;
    }

    private static ObjectNode hop(String name, String verdict, String reason, String detail) {
        ObjectNode h = JSON.createObjectNode();
        h.put("name", name).put("verdict", verdict).put("reason", reason).put("detail", detail);
        return h;
    }

    /** The TLS hop: a handshake with the client connector as this device would make it (its certificate, if any). */
    static ObjectNode tls(URI client, Path caFile, KeyMaterial clientCert) {
        String host = client.getHost();
        int port = client.getPort() < 0 ? 443 : client.getPort();
        SSLContext ctx;
        try {
            ctx = DeviceCommand.tls(caFile, clientCert);
        } catch (IOException | GeneralSecurityException e) {
            return hop("tls", "failed", "tls_handshake_failed", "TLS set-up failed: " + e.getMessage());
        }
        var socket = new Socket();
        try (socket) {
            socket.connect(new InetSocketAddress(host, port), 5_000);
            socket.setSoTimeout(10_000);
            try (var tls = (SSLSocket) ctx.getSocketFactory().createSocket(socket, host, port, true)) {
                var params = tls.getSSLParameters();
                params.setEndpointIdentificationAlgorithm(
                        "HTTPS"); // the certificate must name the host, as for any device
                tls.setSSLParameters(params);
                tls.startHandshake();
                var session = tls.getSession();
                return hop(
                        "tls",
                        "ok",
                        null,
                        client.getAuthority() + " " + session.getProtocol() + " " + session.getCipherSuite()
                                + (clientCert == null
                                        ? ""
                                        : session.getLocalCertificates() != null
                                                ? ", client certificate sent"
                                                : ", client certificate not sent (its issuer is not among those the gateway asked for)"));
            }
        } catch (SSLException e) {
            return hop("tls", "failed", "tls_handshake_failed", client.getAuthority() + ": " + e.getMessage());
        } catch (IOException e) {
            return hop("tls", "failed", "gateway_unreachable", client.getAuthority() + ": " + e.getMessage());
        }
    }

    /** The three kinds of device, from the options, else from the demo. */
    private List<Device> devices(JsonNode demo, AdminClient api, Path caFile, URI client, String stsRole)
            throws IOException, DeviceCommand.UsageError {
        var out = new ArrayList<Device>();
        Path certFile = cert;
        Path keyFile = key;
        if (!want("certificate")) {
            certFile = null;
        } else if (certFile == null && demo != null) {
            certFile = admin.demo.resolve(demo.path("client_cert").asText());
            keyFile = admin.demo.resolve(demo.path("client_key").asText());
        }
        if (certFile != null) {
            if (keyFile == null) {
                throw new DeviceCommand.UsageError(
                        "--cert wants --key: the TLS handshake needs the device's private key");
            }
            out.add(new Device(
                    "certificate",
                    KeyMaterial.read(certFile, keyFile),
                    "certificate",
                    Files.readString(certFile),
                    null,
                    null));
        } else {
            out.add(new Device("certificate", null, null, null, null, null));
        }

        if (!want("token")) {
            out.add(new Device("token", null, null, null, null, null));
        } else if (token != null) {
            out.add(new Device("token", null, "token", DeviceCommand.readToken(token, "access token"), null, null));
        } else {
            Path id = identity != null ? identity : demo != null ? demoIdentity(api, stsRole) : null;
            out.add(
                    id == null
                            ? new Device("token", null, null, null, null, null)
                            : traded(
                                    "token",
                                    "token",
                                    DeviceCommand.readToken(
                                            id.resolve(DeviceCommand.DEVICE_TOKEN_FILE), "device token"),
                                    client,
                                    caFile,
                                    stsRole));
        }

        String entra = null;
        if (!want("entra")) {
            entra = null;
        } else if (entraToken != null) {
            entra = DeviceCommand.readToken(entraToken, "Entra ID token");
        } else if (demo != null && Files.exists(admin.demo.resolve("entra-tenant-key.json"))) {
            try {
                entra = DemoTenant.deviceToken(admin.demo, "0d5e6f7a-1b2c-4d3e-8f9a-0b1c2d3e4f50");
            } catch (Exception e) {
                throw new IOException("cannot make the demo's Entra token: " + e.getMessage(), e);
            }
        }
        out.add(
                entra == null
                        ? new Device("entra", null, null, null, null, null)
                        : traded("entra", "entra_token", entra, client, caFile, stsRole));
        return out;
    }

    private boolean want(String kind) {
        return kinds.isEmpty() || kinds.contains(kind);
    }

    /** A device or Entra token traded at CCM_STS for an access token, as the device would; a refusal is its authentication hop. */
    private static Device traded(String kind, String field, String bearer, URI client, Path caFile, String role) {
        var request = HttpRequest.newBuilder(URI.create(
                        client.toString().replaceAll("/+$", "") + "/CCM_Proxy_ServerAuth/" + role + "/CCM_STS/token"))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + bearer)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build();
        try (var http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .sslContext(DeviceCommand.tls(caFile, null))
                .build()) {
            HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                String reason = DeviceCommand.reason(response);
                return new Device(
                        kind,
                        null,
                        null,
                        null,
                        reason != null ? reason : "token_exchange_failed",
                        "CCM_STS/token answered " + response.statusCode());
            }
            String access = JSON.readTree(response.body()).path("access_token").asText();
            return access.isEmpty()
                    ? new Device(kind, null, null, null, "token_exchange_failed", "CCM_STS/token gave no access token")
                    : new Device(kind, null, field, access, null, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Device(kind, null, null, null, "token_exchange_failed", "interrupted");
        } catch (IOException | GeneralSecurityException e) {
            return new Device(
                    kind,
                    null,
                    null,
                    null,
                    "token_exchange_failed",
                    "CCM_STS/token at " + client + ": " + e.getMessage());
        }
    }

    /**
     * The demo's token device: registered once (a bulk token for one device, then cmg device
     * register), kept in DIR/analyzer-device; its device token lasts 90 days.
     */
    private Path demoIdentity(AdminClient api, String role) throws IOException, DeviceCommand.UsageError {
        Path dir = admin.demo.resolve(DEMO_IDENTITY);
        if (Files.exists(dir.resolve(DeviceCommand.DEVICE_TOKEN_FILE))) {
            return dir;
        }
        JsonNode bulk = api.post(
                "tokens",
                JSON.writeValueAsBytes(Map.of("lifetime_minutes", 60, "max_registrations", 1)),
                "application/json");
        Path bulkFile =
                Files.createTempFile(admin.demo, "analyzer-bulk", ".jwt"); // 0600: the default of createTempFile
        try {
            Files.writeString(bulkFile, bulk.path("token").asText() + "\n");
            var log = new StringWriter();
            var cmd = CmgCommand.commandLine();
            cmd.setOut(new PrintWriter(log));
            cmd.setErr(new PrintWriter(log));
            int exit = cmd.execute(
                    "device",
                    "register",
                    "--demo",
                    admin.demo.toString(),
                    "--role-id",
                    role,
                    "--bulk-token",
                    bulkFile.toString(),
                    "--out",
                    dir.toString(),
                    "--name",
                    "opencmg-analyzer");
            if (exit != 0) {
                throw new DeviceCommand.UsageError("could not register the demo's analyzer device: "
                        + log.toString().strip());
            }
        } finally {
            Files.deleteIfExists(bulkFile);
        }
        return dir;
    }

    private static String firstRole(AdminClient api) throws IOException {
        for (JsonNode e : api.get("endpoints")) {
            if (!e.path("role_id").asText("").isEmpty()) {
                return e.path("role_id").asText();
            }
        }
        throw new IllegalArgumentException("no role is published: nothing to analyze (cmg endpoint list)");
    }
}
