package org.opencmg.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.opencmg.api.Endpoint;
import org.opencmg.cli.client.AdminClient;
import org.opencmg.connectionpoint.ConnectionPoint;
import org.opencmg.connectionpoint.ConnectionPointConfig;
import org.opencmg.pki.DevPki;
import org.opencmg.pki.KeyMaterial;
import org.opencmg.pki.PrivateFiles;
import org.opencmg.server.boot.Gateway;
import org.opencmg.server.config.GatewayConfig;
import org.opencmg.server.jetty.TlsPolicy;
import org.opencmg.server.json.Json;
import org.opencmg.webapp.WebConsole;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A whole working topology on one machine: a development PKI, a gateway, a connection point and
 * two sample role servers (management point, software update point), with their mappings
 * published. Everything runs in this process; {@link #close()} stops it all.
 */
public final class Demo implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Demo.class);

    public static final String SITE = "PS1";
    public static final String MP_ROLE_ID = "72057594037927939";
    /** The sample package the demo puts on its cloud distribution point. */
    public static final String CONTENT_PACKAGE = "DEMO0001";

    public static final String SUP_ROLE_ID = "72057594037927940";
    /** How often the sample site notifies all its devices. */
    static final Duration NOTIFY_EVERY = Duration.ofSeconds(10);

    public record Ports(int client, int channel, int admin) {
        public static final Ports DEFAULT = new Ports(8443, 10124, 9443);
    }

    private static final ObjectMapper JSON = Json.MAPPER;

    private final Path dir;
    private final List<AutoCloseable> running = new ArrayList<>();
    private Gateway gateway;
    private ConnectionPoint connectionPoint;
    private SampleSiteServer managementPoint;

    private Demo(Path dir) {
        this.dir = dir;
    }

    public static Demo start(Path dir, Ports ports, Path pluginsDir) throws Exception {
        TlsPolicy.letSettingDecideLegacyProtocols(); // this process runs a gateway: its setting decides
        var demo = new Demo(dir.toAbsolutePath());
        try {
            demo.boot(ports, pluginsDir);
        } catch (Exception | Error e) {
            demo.close();
            throw e;
        }
        return demo;
    }

    private void boot(Ports ports, Path pluginsDir) throws Exception {
        Files.createDirectories(dir);
        DevPki pki = DevPki.init(dir.resolve("pki"), List.of());
        KeyMaterial serverKeys = KeyMaterial.read(pki.gatewayCert(), pki.gatewayKey());

        var mp = SampleSiteServer.managementPoint(serverKeys, 0, SITE);
        managementPoint = mp;
        running.add(mp);
        var sup = SampleSiteServer.updatePoint(serverKeys, 0);
        running.add(sup);

        String adminPassword = secret(dir.resolve("admin-password"));
        Files.writeString(dir.resolve("gateway.yaml"), """
                # Written by `cmg demo`: the demo's gateway.
                instance: demo-gw
                data-dir: data
                client: {host: 127.0.0.1, port: %d, certificate: pki/gateway.pem, key: pki/gateway-key.pem}
                channel: {host: 127.0.0.1, port: %d, certificate: pki/channel.pem, key: pki/channel-key.pem}
                admin: {host: 127.0.0.1, port: %d}
                plugins-dir: %s
                admin-account: {user: admin, initial-password-file: admin-password}
                """.formatted(
                        ports.client(), ports.channel(), ports.admin(), pluginsDir.toAbsolutePath()));
        gateway = Gateway.start(GatewayConfig.load(dir.resolve("gateway.yaml")), WebConsole::new);
        running.add(gateway);

        // Set up as an administrator would, through the admin API.
        var admin = AdminClient.of(
                URI.create("https://localhost:" + gateway.adminPort()), "admin", adminPassword, pki.caCert());
        String connectionId = secret(dir.resolve("connection-id"));
        admin.post(
                "connection-points",
                JSON.writeValueAsBytes(Map.of(
                        "name",
                        "demo-cp",
                        "site",
                        SITE,
                        "certificate",
                        Files.readString(pki.connectionPointCert()),
                        "connection_id",
                        connectionId)),
                "application/json");
        int published = 0;
        published += forwarded(admin.post(
                "endpoints",
                JSON.writeValueAsBytes(Map.of(
                        "role",
                        "mp",
                        "role_id",
                        MP_ROLE_ID,
                        "site",
                        SITE,
                        "internal_url",
                        "https://localhost:" + mp.port())),
                "application/json"));
        published += forwarded(admin.post(
                "endpoints",
                JSON.writeValueAsBytes(Map.of(
                        "role",
                        "sup",
                        "role_id",
                        SUP_ROLE_ID,
                        "site",
                        SITE,
                        "internal_url",
                        "https://localhost:" + sup.port())),
                "application/json"));
        admin.post("roots", Files.readAllBytes(pki.caCert()), "application/x-pem-file");
        admin.putSetting("verify-revocation", "off"); // the dev CA publishes no CRL distribution point
        // The dev PKI's admin certificate signs in to the console without a password (pki/admin.pem).
        admin.post(
                "admin-certs",
                JSON.writeValueAsBytes(Map.of("user", "admin", "certificate", Files.readString(pki.adminCert()))),
                "application/json");
        if (gateway.hasPlugin("role-content") && admin.get("content").isEmpty()) {
            uploadSamplePackage(admin);
        }
        if (gateway.hasPlugin("auth-entra")) {
            var tenant = DemoTenant.start(dir, serverKeys);
            running.add(tenant);
            for (var s : DemoTenant.settings(tenant, pki.caCert()).entrySet()) {
                admin.putSetting(s.getKey(), s.getValue());
            }
        }

        Files.writeString(dir.resolve("connection-point.yaml"), """
                # Written by `cmg demo`: the demo's connection point.
                name: demo-cp
                connection-id: %s
                certificate: pki/connection-point.pem
                key: pki/connection-point-key.pem
                gateway-ca: pki/ca.pem
                gateways: [ "https://localhost:%d" ]
                internal: {ca: pki/ca.pem}
                monitor: {host: 127.0.0.1, port: 0}   # probes, metrics, and the site's notifications (POST /notifications)
                """.formatted(connectionId, gateway.channelPort()));
        connectionPoint = ConnectionPoint.start(ConnectionPointConfig.load(dir.resolve("connection-point.yaml")));
        running.add(connectionPoint);
        awaitChannel(published);
        // The sample site notifies its devices, as a management point would, through its connection point.
        running.add(new SampleNotifier(
                URI.create("http://127.0.0.1:" + connectionPoint.monitorPort() + "/notifications"), NOTIFY_EVERY));
        writeDemoJson(adminPassword);
    }

    /** Of the endpoints just published, those the connection point gets (a notification endpoint stays at the gateway). */
    private static int forwarded(JsonNode published) {
        int n = 0;
        for (var e : published) {
            n += Endpoint.GATEWAY_NOTIFICATIONS.equals(e.path("internal_url").asText()) ? 0 : 1;
        }
        return n;
    }

    private void awaitChannel(int published) throws InterruptedException, IOException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!connectionPoint.allUp() || connectionPoint.status().stream().anyMatch(l -> l.mappings() < published)) {
            if (System.currentTimeMillis() > deadline) {
                throw new IOException("the connection point did not connect within 30 s: " + connectionPoint.status());
            }
            Thread.sleep(50);
        }
    }

    private void writeDemoJson(String adminPassword) throws IOException {
        var m = new LinkedHashMap<String, Object>();
        m.put("client_url", "https://localhost:" + gateway.clientPort());
        m.put("channel_url", "https://localhost:" + gateway.channelPort());
        m.put("admin_url", "https://localhost:" + gateway.adminPort());
        m.put("ca_cert", "pki/ca.pem");
        m.put("client_cert", "pki/client.pem");
        m.put("client_key", "pki/client-key.pem");
        m.put("mp_role_id", MP_ROLE_ID);
        m.put("sup_role_id", SUP_ROLE_ID);
        m.put("site", SITE);
        m.put("admin_user", "admin");
        m.put("admin_password", adminPassword);
        m.put("pids", List.of(ProcessHandle.current().pid()));
        var json = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m);
        Path file = dir.resolve("demo.json");
        PrivateFiles.replace(file, json + "\n"); // it holds the admin password
    }

    /** What the demo prints once it is ready: how to use it. */
    public String instructions() {
        String d = dir.toString();
        String base = "https://localhost:" + gateway.clientPort();
        return """

                OpenCMG demo is running (Ctrl-C stops it). Files: %1$s
                  client connector  %2$s   (devices, mutual TLS)
                  channel connector https://localhost:%3$d   (connection point demo-cp is connected)
                  admin connector   https://localhost:%4$d   (user admin, password in %1$s/demo.json)

                A device with a client certificate (PKI) asks the management point for its MP list:
                  curl --cacert %1$s/pki/ca.pem --cert %1$s/pki/client.pem --key %1$s/pki/client-key.pem \\
                    '%2$s/CCM_Proxy_MutualAuth/%5$s/SMS_MP/.sms_aut?MPLIST'

                Posts a client message, with the management point's own verb:
                  curl --cacert %1$s/pki/ca.pem --cert %1$s/pki/client.pem --key %1$s/pki/client-key.pem \\
                    -X CCM_POST --data-binary 'hello' '%2$s/CCM_Proxy_MutualAuth/%5$s/CCM_System/request'

                Holds the device's notification channel on the gateway (a long poll; a WebSocket works too) and
                prints the next notification the sample site sends to all its devices (every %8$d s):
                  curl --cacert %1$s/pki/ca.pem --cert %1$s/pki/client.pem --key %1$s/pki/client-key.pem \\
                    '%2$s/CCM_Proxy_MutualAuth/%5$s/CCM_Notification'
                The site sends its own through the connection point (devices by ID, or all):
                  curl -s -d '{"all": true, "message": "hello devices"}' http://127.0.0.1:%9$d/notifications

                Asks the software update point (SOAP):
                  curl --cacert %1$s/pki/ca.pem --cert %1$s/pki/client.pem --key %1$s/pki/client-key.pem \\
                    -H 'Content-Type: text/xml' --data '<GetConfig/>' '%2$s/CCM_Proxy_MutualAuth/%6$s/ClientWebService/Client.asmx'

                A token device (site tokens): a bulk registration token, registration, an access token, a request:
                  ./cmg token new --demo %1$s | tail -1 > %1$s/bulk.jwt
                  ./cmg device register --demo %1$s --bulk-token %1$s/bulk.jwt --out %1$s/device1
                  ./cmg device token --identity %1$s/device1
                  ./cmg device get --identity %1$s/device1 -X CCM_POST --data hello ccm_system_tokenauth/request

                An Entra ID device (the demo simulates a tenant): its Entra token is traded at CCM_STS for an access token:
                  ENTRA=$(./cmg demo entra-token --dir %1$s)
                  ACCESS=$(curl -s --cacert %1$s/pki/ca.pem -X POST -H "Authorization: Bearer $ENTRA" \\
                    '%2$s/CCM_Proxy_ServerAuth/%5$s/CCM_STS/token' | sed 's/.*"access_token" *: *"\\([^"]*\\)".*/\\1/')
                  curl --cacert %1$s/pki/ca.pem -H "Authorization: Bearer $ACCESS" -X CCM_POST --data hello \\
                    '%2$s/CCM_Proxy_ServerAuth/%5$s/ccm_system_tokenauth/request'

                A device downloads a package from the cloud distribution point (content token, signed URLs,
                ranged downloads that resume, SHA-256 check):
                  ./cmg device download --demo %1$s --cert %1$s/pki/client.pem --key %1$s/pki/client-key.pem \
                    --package %7$s --out %1$s/downloads

                Administer it:  ./cmg status --demo %1$s     ./cmg endpoint list --demo %1$s     ./cmg content list --demo %1$s
                """.formatted(
                        d,
                        base,
                        gateway.channelPort(),
                        gateway.adminPort(),
                        MP_ROLE_ID,
                        SUP_ROLE_ID,
                        CONTENT_PACKAGE,
                        NOTIFY_EVERY.toSeconds(),
                        connectionPoint.monitorPort());
    }

    public Gateway gateway() {
        return gateway;
    }

    /** The sample management point (its internal server). */
    public SampleSiteServer managementPoint() {
        return managementPoint;
    }

    public ConnectionPoint connectionPoint() {
        return connectionPoint;
    }

    /** A package on the cloud distribution point (filesystem store in the demo folder): a 6 MiB installer and a text file. */
    private void uploadSamplePackage(AdminClient admin) throws IOException {
        Path sample = Files.createDirectories(dir.resolve("sample-package"));
        byte[] installer = new byte[6 * 1024 * 1024];
        new Random(42).nextBytes(installer);
        Files.write(sample.resolve("setup.bin"), installer);
        Files.writeString(sample.resolve("readme.txt"), "A sample package of the OpenCMG demo.\n");
        admin.postFile("content/" + CONTENT_PACKAGE + "/files/setup.bin", sample.resolve("setup.bin"), n -> {});
        admin.postFile(
                "content/" + CONTENT_PACKAGE + "/files/readme.txt?version=1", sample.resolve("readme.txt"), n -> {});
    }

    /** A random secret kept in a 0600 file so a later run reuses it. */
    private static String secret(Path file) throws IOException {
        if (Files.exists(file)) {
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        }
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        String s = HexFormat.of().formatHex(b);
        PrivateFiles.create(file, s + "\n");
        return s;
    }

    @Override
    public void close() {
        for (int i = running.size() - 1; i >= 0; i--) {
            try {
                running.get(i).close();
            } catch (Exception e) {
                LOG.warn("stopping {}: {}", running.get(i).getClass().getSimpleName(), e.toString());
            }
        }
        running.clear();
    }
}
