package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.cli.CmgCommand;
import org.opencmg.demo.DemoTenant;
import org.opencmg.pki.KeyMaterial;

/**
 * {@code cmg analyze} against the topology of {@code topology/topology.sh} (PostgreSQL, HAProxy, two
 * gateway processes, two connection point processes, the sample site): a certificate, a token and an
 * Entra ID device pass every hop through every instance × connection point × role, starting from one
 * instance's admin API (the other advertises its own in the instance table). The gateways
 * take devices only through HAProxy (PROXY protocol), so TLS is checked at the load balancer.
 */
class AnalyzeTopologyTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyInstanceConnectionPointAndRolePassesForTheThreeKindsOfDevice(@TempDir Path tmp) throws Exception {
        try (var topology = TopologyFixture.up(tmp.resolve("topology"))) {
            var env = topology.env;
            // What the CLI needs, in demo.json's names (absolute paths), so --demo finds it all.
            Path folder = Files.createDirectories(tmp.resolve("analyzer"));
            var demo = new LinkedHashMap<String, Object>();
            demo.put("client_url", env.getProperty("LB_URL"));
            demo.put("admin_url", env.getProperty("GW1_ADMIN_URL"));
            demo.put("admin_user", "admin");
            demo.put(
                    "admin_password",
                    Files.readString(topology.dir.resolve("admin-password")).strip());
            demo.put("ca_cert", env.getProperty("CA"));
            demo.put("client_cert", env.getProperty("CLIENT_CERT"));
            demo.put("client_key", env.getProperty("CLIENT_KEY"));
            demo.put("mp_role_id", env.getProperty("MP_ROLE_ID"));
            demo.put("sup_role_id", env.getProperty("SUP_ROLE_ID"));
            Files.writeString(folder.resolve("demo.json"), JSON.writeValueAsString(demo));
            // The first token ever minted makes the signing key (on gateway 1); the other instance's secret store sees
            // it
            // within its polling interval, and until then refuses tokens of that key as invalid_token.
            assertThat(cli("token", "new", "--demo", folder.toString())).startsWith("0");
            Thread.sleep(1500);
            // An Entra ID tenant for the topology, as the demo simulates one (its key in the folder).
            try (var tenant = DemoTenant.start(
                    folder,
                    KeyMaterial.read(
                            topology.dir.resolve("pki/gateway.pem"), topology.dir.resolve("pki/gateway-key.pem")))) {
                assertThat(cli(
                                "settings",
                                "set",
                                "plugins.auth-entra.tenants",
                                tenant.tenantsSetting(),
                                "--demo",
                                folder.toString()))
                        .startsWith("0");
                assertThat(cli(
                                "settings",
                                "set",
                                "plugins.auth-entra.jwks-ca-file",
                                env.getProperty("CA"),
                                "--demo",
                                folder.toString()))
                        .startsWith("0");

                // Only gateway 1's admin API is given: gateway 2 is found in the instance table, by the admin URL it
                // advertises.
                String out = cli(
                        "analyze", "--demo", folder.toString(), "--client-url", env.getProperty("LB_URL"), "--json");
                assertThat(out).as(out).startsWith("0 ");
                JsonNode report = JSON.readTree(out.substring(2));
                assertThat(report.path("ok").asBoolean()).isTrue();
                for (String kind : List.of("certificate", "token", "entra")) {
                    var rows = new ArrayList<JsonNode>();
                    report.path("rows").forEach(r -> {
                        if (r.path("kind").asText().equals(kind)) {
                            rows.add(r);
                        }
                    });
                    // 2 instances × 2 connection points × 2 roles, each row with every hop ok.
                    assertThat(rows).as(kind).hasSize(8);
                    assertThat(new TreeSet<>(rows.stream()
                                    .map(r -> r.path("instance").asText())
                                    .toList()))
                            .hasSize(2);
                    assertThat(new TreeSet<>(rows.stream()
                                    .map(r -> r.path("connection_point").asText())
                                    .toList()))
                            .containsExactly("cp1", "cp2");
                    assertThat(new TreeSet<>(rows.stream()
                                    .map(r -> r.path("role").asText())
                                    .toList()))
                            .containsExactlyInAnyOrder(env.getProperty("MP_ROLE_ID"), env.getProperty("SUP_ROLE_ID"));
                    for (JsonNode r : rows) {
                        assertThat(r.path("hops").findValuesAsText("verdict"))
                                .as(r.toString())
                                .hasSize(7)
                                .containsOnly("ok");
                    }
                }
            }
        }
    }

    /** The CLI in this JVM: "EXIT OUTPUT". */
    private static String cli(String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        int code = CmgCommand.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args);
        return code + " " + out + err;
    }
}
