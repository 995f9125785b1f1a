package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.testkit.Postgres;

/**
 * Two gateway instances on one real PostgreSQL, as behind a load balancer: the console's sessions
 * and its failed-login delay are in the store, so a browser signed in on one instance is signed in
 * on the other (pages load, a CSRF-protected form works, its message shows on whichever instance
 * serves the next page), stays signed in when the instance that signed it in stops, and signing out
 * on one ends the session on the other; failed sign-ins on one make the other wait too.
 */
class ConsoleSharedSessionsTest {

    private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([A-Za-z0-9_-]{43})\"");

    @Test
    void aConsoleSessionAndTheLoginDelayHoldOnEveryInstanceOfTheStore(@TempDir Path dir) throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        try (var pg = Postgres.start()) {
            String shared = GatewayFixture.sharedStore(dir, pg);
            var a = GatewayFixture.withChannelsAndConfig(Files.createDirectories(dir.resolve("a")), pki, shared);
            try (var b = GatewayFixture.withChannelsAndConfig(Files.createDirectories(dir.resolve("b")), pki, shared);
                    var http = HttpClient.newBuilder()
                            .sslContext(pki.clientContext(null))
                            .build()) {
                String session =
                        signIn(http, a, "admin", GatewayFixture.ADMIN_PASSWORD).orElseThrow();

                var dashboard = get(http, b, "/", session);
                assertThat(dashboard.statusCode())
                        .as("instance B knows A's session")
                        .isEqualTo(200);
                assertThat(dashboard.body()).contains("admin");
                var settings = get(http, b, "/settings", session);
                var csrf = CSRF.matcher(settings.body());
                assertThat(csrf.find()).isTrue();

                var forged = post(http, b, "/settings", session, "name=max-chain-depth&value=7");
                assertThat(forged.statusCode()).as("no CSRF token: refused").isEqualTo(403);
                var saved =
                        post(http, b, "/settings", session, "csrf=" + csrf.group(1) + "&name=max-chain-depth&value=7");
                assertThat(saved.statusCode())
                        .as("the form with the session's token works on B")
                        .isEqualTo(303);
                assertThat(get(http, a, "/settings", session).body())
                        .as("its message shows on A, once")
                        .contains("Saved max-chain-depth.");
                assertThat(get(http, b, "/settings", session).body()).doesNotContain("Saved max-chain-depth.");
                assertThat(a.api().get("settings").toString())
                        .contains("max-chain-depth")
                        .contains("\"7\"");

                // A second session, made on B and ended on B: A no longer knows it.
                String other =
                        signIn(http, b, "admin", GatewayFixture.ADMIN_PASSWORD).orElseThrow();
                var otherCsrf = CSRF.matcher(get(http, a, "/settings", other).body());
                assertThat(otherCsrf.find()).isTrue();
                assertThat(post(http, b, "/logout", other, "csrf=" + otherCsrf.group(1))
                                .statusCode())
                        .isEqualTo(303);
                var afterLogout = get(http, a, "/", other);
                assertThat(afterLogout.statusCode())
                        .as("signed out on B, so on A too")
                        .isEqualTo(303);
                assertThat(afterLogout.headers().firstValue("Location")).hasValue("/login");

                // A dies; the browser's next request goes to B, signed in as before.
                a.close();
                assertThat(get(http, b, "/", session).statusCode()).isEqualTo(200);

                // Failed sign-ins on one instance delay sign-ins on the other.
                try (var c =
                        GatewayFixture.withChannelsAndConfig(Files.createDirectories(dir.resolve("c")), pki, shared)) {
                    var wrong = c.consoleSignIn(http, "admin", "a wrong guess");
                    assertThat(wrong.statusCode()).isEqualTo(401);
                    var right = b.consoleSignIn(http, "admin", GatewayFixture.ADMIN_PASSWORD);
                    assertThat(right.statusCode())
                            .as("B makes the right password wait too")
                            .isEqualTo(429);
                    assertThat(right.headers().firstValue("Retry-After")).hasValue("1");
                    Thread.sleep(1_100);
                    assertThat(signIn(http, b, "admin", GatewayFixture.ADMIN_PASSWORD))
                            .isPresent();
                }
            } finally {
                a.close();
            }
        }
    }

    /** Signs in with the console's form; the session cookie (name=value) if it was accepted. */
    private static java.util.Optional<String> signIn(HttpClient http, GatewayFixture gw, String user, String password)
            throws Exception {
        var answer = gw.consoleSignIn(http, user, password);
        return answer.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith("__Host-cmg-session="))
                .map(c -> c.split(";")[0])
                .filter(c -> c.length() > "__Host-cmg-session=".length())
                .findFirst();
    }

    private static HttpResponse<String> get(HttpClient http, GatewayFixture gw, String path, String session)
            throws Exception {
        return http.send(
                HttpRequest.newBuilder(gw.adminUrl(path))
                        .header("Cookie", session)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(
            HttpClient http, GatewayFixture gw, String path, String session, String form) throws Exception {
        return http.send(
                HttpRequest.newBuilder(gw.adminUrl(path))
                        .header("Cookie", session)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(form))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
