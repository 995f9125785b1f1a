package org.opencmg.server.plugin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.api.AuditLog;
import org.opencmg.api.AuthOutcome;
import org.opencmg.api.Authenticator;
import org.opencmg.api.ClientRequest;
import org.opencmg.api.ClientTrust;
import org.opencmg.api.PluginContext;
import org.opencmg.api.Refusal;
import org.opencmg.api.Secrets;
import org.opencmg.api.Settings;
import org.opencmg.server.store.SettingsCatalog;

class PluginHostTest {

    /** A real, minimal context: what the gateway would hand a plugin. */
    record TestContext(String pluginId, Settings settings, ClientTrust clientTrust, AuditLog audit, Clock clock)
            implements PluginContext {
        @Override
        public Secrets secrets() {
            throw new UnsupportedOperationException("no secrets in this test");
        }

        @Override
        public javax.sql.DataSource dataSource() {
            throw new UnsupportedOperationException("no store in this test");
        }

        @Override
        public <T> T shared(Class<T> type, java.util.function.Supplier<T> create) {
            return create.get();
        }

        @Override
        public java.nio.file.Path dataDir() {
            throw new UnsupportedOperationException("no data folder in this test");
        }

        @Override
        public void onStatePoll(Runnable refresh) {
            refresh.run();
        }
    }

    /** A request as an authenticator sees it. */
    record TestRequest(
            String method,
            String rawPath,
            String rawQuery,
            Map<String, String> headers,
            List<X509Certificate> peerCertificates,
            InetSocketAddress remoteAddress,
            String tlsProtocol)
            implements ClientRequest {

        static TestRequest get(String path, Map<String, String> headers) {
            return new TestRequest(
                    "GET", path, "", headers, List.of(), new InetSocketAddress("192.0.2.7", 50123), "TLSv1.3");
        }

        @Override
        public Optional<String> header(String name) {
            return headers.entrySet().stream()
                    .filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(Map.Entry::getValue)
                    .findFirst();
        }
    }

    private static final String DEVICE_FROM_CONTEXT = """
            if (request.header("Authorization").isEmpty()) {
                return AuthOutcome.NOT_MINE;
            }
            return new AuthOutcome.Authenticated(new Device("device-of-" + context.pluginId(), method(), null,
                    Map.of("plugin", context.pluginId(), "path", request.rawPath(),
                           "mode", context.settings().get("mode").orElse("none"))));
            """;

    @TempDir
    static Path jars;

    static Path alpha;
    static Path beta;
    static Path gamma;
    static Path broken;
    static Path flaky;
    static Path nullish;
    static Path noArg;
    static Path withLife;

    @TempDir
    Path dir;

    Path pluginsDir;
    final List<String> contextsHandedOut = new CopyOnWriteArrayList<>();
    /** What the plugins wrote to the audit log: "action target". */
    final List<String> audited = new CopyOnWriteArrayList<>();

    final List<PluginHost> hosts = new ArrayList<>();

    @BeforeAll
    static void buildPluginJars() {
        Path work = jars.resolve("work");
        Path out = jars.resolve("out");
        alpha = PluginJars.build(
                work,
                out,
                "alpha",
                "1.2.3",
                Map.of(
                        "test.alpha.AlphaAuthenticator",
                        PluginJars.authenticator("test.alpha.AlphaAuthenticator", "token", "", DEVICE_FROM_CONTEXT)));
        beta = PluginJars.build(
                work,
                out,
                "beta",
                "0.1.0",
                Map.of(
                        "test.beta.BetaAuthenticator",
                        PluginJars.authenticator("test.beta.BetaAuthenticator", "pki", "", DEVICE_FROM_CONTEXT)));
        gamma = PluginJars.build(
                work,
                out,
                "gamma",
                "2.0.0",
                Map.of(
                        "test.gamma.GammaAuthenticator",
                        PluginJars.authenticator(
                                "test.gamma.GammaAuthenticator", "kerberos", "", "return AuthOutcome.NOT_MINE;")));
        broken = PluginJars.build(
                work,
                out,
                "broken",
                "0.0.1",
                Map.of(
                        "test.broken.BrokenAuthenticator",
                        PluginJars.authenticator(
                                "test.broken.BrokenAuthenticator",
                                "entra",
                                "if (context != null) { throw new IllegalStateException(\"licence missing\"); }",
                                "return AuthOutcome.NOT_MINE;")));
        flaky = PluginJars.build(
                work,
                out,
                "flaky",
                "1.0.0",
                Map.of(
                        "test.flaky.FlakyAuthenticator",
                        PluginJars.authenticator(
                                "test.flaky.FlakyAuthenticator",
                                "entra",
                                "",
                                "throw new IllegalArgumentException(\"token parser exploded\");")));
        nullish = PluginJars.build(
                work,
                out,
                "nullish",
                "1.0.0",
                Map.of(
                        "test.nullish.NullAuthenticator",
                        PluginJars.authenticator("test.nullish.NullAuthenticator", "entra", "", "return null;")));
        withLife = PluginJars.build(
                work,
                out,
                "life",
                "1.0.0",
                "test.life.LifePlugin",
                Map.of(
                        "test.life.LifeAuthenticator",
                        PluginJars.authenticator(
                                "test.life.LifeAuthenticator", "life", "", "return AuthOutcome.NOT_MINE;"),
                        "test.life.LifePlugin",
                        """
                package test.life;

                import org.opencmg.api.PluginContext;
                import org.opencmg.server.store.SettingsCatalog;
import org.pf4j.Plugin;

                public class LifePlugin extends Plugin {
                    private final PluginContext context;

                    public LifePlugin(PluginContext context) {
                        this.context = context;
                    }

                    @Override
                    public void start() {
                        context.audit().record("plugin", "started", context.pluginId(), "");
                    }

                    @Override
                    public void stop() {
                        context.audit().record("plugin", "stopped", context.pluginId(), "");
                    }
                }
                """));
        noArg = PluginJars.build(work, out, "noarg", "1.0.0", Map.of("test.noarg.NoArgAuthenticator", """
                package test.noarg;

                import org.opencmg.api.AuthOutcome;
                import org.opencmg.api.Authenticator;
                import org.opencmg.api.ClientRequest;

                @org.pf4j.Extension
                public class NoArgAuthenticator implements Authenticator {
                    public String method() {
                        return "basic";
                    }

                    public AuthOutcome authenticate(ClientRequest request) {
                        return AuthOutcome.refused(org.opencmg.api.Refusal.BAD_CREDENTIALS, "no-arg plugin");
                    }
                }
                """));
    }

    @AfterEach
    void closeHosts() {
        hosts.forEach(PluginHost::close);
    }

    private PluginContext contextFor(String pluginId) {
        contextsHandedOut.add(pluginId);
        Settings settings = name -> "mode".equals(name) ? Optional.of("strict") : Optional.empty();
        AuditLog audit = (actor, action, target, detail) -> audited.add(action + " " + target);
        return new TestContext(
                pluginId,
                settings,
                new ClientTrust(List.of(), List.of(), Set.of(), List.of(), 0),
                audit,
                Clock.systemUTC());
    }

    private PluginHost start(List<String> authOrder, Path... pluginJars) throws IOException {
        pluginsDir = Files.createDirectories(dir.resolve("plugins"));
        for (Path jar : pluginJars) {
            Files.copy(jar, pluginsDir.resolve(jar.getFileName()));
        }
        var host = new PluginHost(pluginsDir, this::contextFor, null, new SettingsCatalog());
        hosts.add(host);
        host.start(authOrder);
        return host;
    }

    private static List<String> methods(PluginHost host) {
        return host.authenticators().stream().map(Authenticator::method).toList();
    }

    private static Authenticator byMethod(PluginHost host, String method) {
        return host.authenticators().stream()
                .filter(a -> a.method().equals(method))
                .findFirst()
                .orElseThrow();
    }

    private static PluginHost.PluginStatus statusOf(PluginHost host, String id) {
        return host.status().stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
    }

    @Test
    void usesTheExtensionOfAPluginJar() throws IOException {
        PluginHost host = start(List.of("pki", "token", "entra"), alpha);

        assertThat(methods(host)).containsExactly("token");
        AuthOutcome outcome = host.authenticators()
                .getFirst()
                .authenticate(TestRequest.get("/CCM_System/request", Map.of("Authorization", "Bearer x")));

        assertThat(outcome).isInstanceOfSatisfying(AuthOutcome.Authenticated.class, a -> {
            assertThat(a.device().method()).isEqualTo("token");
            assertThat(a.device().attributes()).containsEntry("path", "/CCM_System/request");
        });
    }

    @Test
    void extensionReceivesItsPluginsContext() throws IOException {
        PluginHost host = start(List.of("token"), alpha);

        AuthOutcome outcome =
                byMethod(host, "token").authenticate(TestRequest.get("/x", Map.of("authorization", "Bearer x")));

        assertThat(contextsHandedOut).containsExactly("alpha");
        assertThat(outcome).isInstanceOfSatisfying(AuthOutcome.Authenticated.class, a -> {
            assertThat(a.device().id()).isEqualTo("device-of-alpha");
            assertThat(a.device().attributes()).containsEntry("plugin", "alpha").containsEntry("mode", "strict");
        });
    }

    @Test
    void passesOnAnOutcomeOfNotMine() throws IOException {
        PluginHost host = start(List.of("token"), alpha);

        assertThat(byMethod(host, "token").authenticate(TestRequest.get("/x", Map.of())))
                .isInstanceOf(AuthOutcome.NotMine.class);
    }

    @Test
    void ordersAuthenticatorsByAuthOrderAndUnlistedOnesLast() throws IOException {
        PluginHost host = start(List.of("pki", "token"), alpha, beta, gamma);

        assertThat(methods(host)).containsExactly("pki", "token", "kerberos");
    }

    @Test
    void reversedAuthOrderReversesTheAuthenticators() throws IOException {
        PluginHost host = start(List.of("kerberos", "token", "pki"), alpha, beta, gamma);

        assertThat(methods(host)).containsExactly("kerberos", "token", "pki");
    }

    @Test
    void statusListsIdVersionAndState() throws IOException {
        PluginHost host = start(List.of("pki", "token"), alpha, beta);

        assertThat(host.status())
                .containsExactlyInAnyOrder(
                        new PluginHost.PluginStatus("alpha", "1.2.3", "STARTED", null),
                        new PluginHost.PluginStatus("beta", "0.1.0", "STARTED", null));
    }

    @Test
    void pluginWhoseExtensionCannotBeCreatedIsFailedAndTheOthersStillWork() throws IOException {
        PluginHost host = start(List.of("pki", "token", "entra"), alpha, broken);

        PluginHost.PluginStatus status = statusOf(host, "broken");
        assertThat(status.version()).isEqualTo("0.0.1");
        assertThat(status.state()).isEqualTo("FAILED");
        assertThat(status.error()).contains("IllegalStateException").contains("licence missing");

        assertThat(methods(host)).containsExactly("token");
        assertThat(byMethod(host, "token").authenticate(TestRequest.get("/x", Map.of("Authorization", "x"))))
                .isInstanceOf(AuthOutcome.Authenticated.class);
        assertThat(statusOf(host, "alpha").state()).isEqualTo("STARTED");
    }

    @Test
    void authenticatorThatThrowsGivesA503RefusalInsteadOfAnException() throws IOException {
        PluginHost host = start(List.of("entra"), flaky);

        AuthOutcome outcome = byMethod(host, "entra").authenticate(TestRequest.get("/x", Map.of()));

        assertThat(outcome).isInstanceOfSatisfying(AuthOutcome.Refused.class, r -> {
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.reason()).isEqualTo("auth_plugin_error");
            assertThat(r.detail())
                    .contains("flaky")
                    .contains("IllegalArgumentException")
                    .doesNotContain("token parser exploded");
        });
    }

    @Test
    void authenticatorThatReturnsNullGivesA503Refusal() throws IOException {
        PluginHost host = start(List.of("entra"), nullish);

        AuthOutcome outcome = byMethod(host, "entra").authenticate(TestRequest.get("/x", Map.of()));

        assertThat(outcome)
                .isEqualTo(new AuthOutcome.Refused(Refusal.AUTH_PLUGIN_ERROR, "plugin nullish: IllegalStateException"));
    }

    @Test
    void throwingAuthenticatorDoesNotAffectTheOthers() throws IOException {
        PluginHost host = start(List.of("token", "entra"), alpha, flaky);

        assertThat(methods(host)).containsExactly("token", "entra");
        assertThat(byMethod(host, "token").authenticate(TestRequest.get("/x", Map.of("Authorization", "x"))))
                .isInstanceOf(AuthOutcome.Authenticated.class);
    }

    @Test
    void pluginObjectGetsItsPluginsContextStartsAfterLoadingAndStopsWhenTheHostCloses() throws IOException {
        var host = start(List.of("life"), withLife, alpha);
        assertThat(audited).containsExactly("started life");
        assertThat(methods(host)).containsExactly("life", "token");
        host.close();
        assertThat(audited).containsExactly("started life", "stopped life");
        assertThat(contextsHandedOut)
                .as("the Plugin object and the extension share one context")
                .containsOnlyOnce("life");
    }

    @Test
    void extensionWithoutContextConstructorIsCreatedWithTheNoArgumentOne() throws IOException {
        PluginHost host = start(List.of("basic"), noArg);

        assertThat(byMethod(host, "basic").authenticate(TestRequest.get("/x", Map.of())))
                .isEqualTo(new AuthOutcome.Refused(Refusal.BAD_CREDENTIALS, "no-arg plugin"));
        assertThat(contextsHandedOut).isEmpty();
    }

    @Test
    void corruptJarDoesNotStopTheHost() throws IOException {
        Path garbage = dir.resolve("corrupt.jar");
        byte[] bytes = new byte[4096];
        new Random(42).nextBytes(bytes);
        Files.write(garbage, bytes);

        PluginHost host = start(List.of("pki", "token"), garbage, alpha, beta);

        assertThat(methods(host)).containsExactly("pki", "token");
        assertThat(statusOf(host, "alpha").state()).isEqualTo("STARTED");
        assertThat(statusOf(host, "beta").state()).isEqualTo("STARTED");
    }

    @Test
    void jarWithoutPluginManifestDoesNotStopTheHost() throws IOException {
        Path plain = dir.resolve("library.jar");
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(plain))) {
            out.putNextEntry(new java.util.jar.JarEntry("readme.txt"));
            out.write("not a plugin".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            out.closeEntry();
        }

        PluginHost host = start(List.of("token"), plain, alpha);

        assertThat(methods(host)).containsExactly("token");
    }

    @Test
    void missingPluginsFolderGivesNoAuthenticators() {
        var host = new PluginHost(dir.resolve("does-not-exist"), this::contextFor, null, new SettingsCatalog());
        hosts.add(host);

        host.start(List.of("pki"));

        assertThat(host.authenticators()).isEmpty();
        assertThat(host.roles()).isEmpty();
        assertThat(host.status()).isEmpty();
    }

    @Test
    void statusBeforeStartIsEmpty() {
        var host = new PluginHost(dir, this::contextFor, null, new SettingsCatalog());

        assertThat(host.status()).isEmpty();
        assertThat(host.authenticators()).isEmpty();
    }
}
