package org.opencmg.webapp;

import static org.opencmg.api.Html.text;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Optional;
import org.opencmg.pki.Thumbprints;
import org.opencmg.server.admin.LoginThrottle;
import org.opencmg.server.refusal.RequestRefused;
import org.opencmg.server.store.AdminCertificates;

/**
 * Signing in and out. A password is checked against the Argon2id hash, behind the growing delay of
 * {@link LoginThrottle} (shared with HTTP Basic on the API); an admin client certificate (registered by thumbprint) signs in its
 * holder without a password. The login form carries a token of its own, equal to a short-lived
 * cookie (double submit), so another site cannot log a browser in to an account of its choosing.
 */
final class LoginPage {

    static final String LOGIN_COOKIE = "__Host-cmg-login";

    private final ConsoleContext ctx;

    LoginPage(ConsoleContext ctx) {
        this.ctx = ctx;
    }

    void handle(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if ("POST".equals(req.getMethod())) {
            submit(req, resp);
            return;
        }
        if (ctx.sessions().find(ConsoleSessions.cookieValue(req.getCookies())).isPresent()) {
            resp.setStatus(303);
            resp.setHeader("Location", "/");
            return;
        }
        form(req, resp, 200, null, "");
    }

    private void form(HttpServletRequest req, HttpServletResponse resp, int status, String error, String user)
            throws IOException {
        // One token per browser, reused while its cookie lives: a second tab, or a request the
        // browser makes on its own (a favicon sent to this page), must not invalidate the first form.
        String token = loginCookie(req);
        if (token == null || !token.matches("[A-Za-z0-9_-]{43}")) {
            token = CsrfTokens.random();
        }
        resp.addHeader(
                "Set-Cookie", LOGIN_COOKIE + "=" + token + "; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Strict");
        var sb = new StringBuilder();
        var cert = adminCertificate(req);
        if (cert.isPresent()) {
            sb.append(
                            "<section aria-labelledby=\"cert-h\"><h2 id=\"cert-h\">With your certificate</h2><p>Your browser presented ")
                    .append("the admin certificate <code>")
                    .append(text(cert.get().subject()))
                    .append("</code> of <strong>")
                    .append(text(cert.get().user()))
                    .append("</strong>.</p><form method=\"post\" action=\"/login\">")
                    .append(hidden(token))
                    .append("<input type=\"hidden\" name=\"mode\" value=\"certificate\">")
                    .append(
                            "<button type=\"submit\" id=\"cert-login\">Sign in with the certificate</button></form></section>")
                    .append("<h2>With a password</h2>");
        }
        sb.append("<form method=\"post\" action=\"/login\" class=\"stack\" id=\"login\">")
                .append(hidden(token))
                .append(
                        "<label for=\"user\">User name</label><input id=\"user\" name=\"user\" autocomplete=\"username\" required value=\"")
                .append(text(user))
                .append("\">")
                .append(
                        "<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" ")
                .append("autocomplete=\"current-password\" required>")
                .append("<button type=\"submit\">Sign in</button></form>");
        ConsoleServlet.write(
                resp, status, Layout.page("Sign in", sb.toString(), null, null, null, null, error, error != null));
    }

    private static String hidden(String token) {
        return "<input type=\"hidden\" name=\"login_token\" value=\"" + text(token) + "\">";
    }

    private void submit(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        Map<String, String> fields = FormFields.read(req);
        if (!CsrfTokens.matches(loginCookie(req), fields.get("login_token"))) {
            ConsoleServlet.plain(
                    resp, 403, "forbidden: the login form's token is missing or wrong; reload the login page");
            return;
        }
        String address = req.getRemoteAddr();
        if ("certificate".equals(fields.get("mode"))) {
            var cert = adminCertificate(req);
            if (cert.isEmpty()) {
                form(req, resp, 401, "Your browser presented no registered admin certificate.", "");
                return;
            }
            start(req, cert.get().user(), "certificate " + cert.get().thumbprintSha256(), address, resp);
            return;
        }
        String user = fields.getOrDefault("user", "").strip();
        var login = ctx.services()
                .credentials()
                .signIn(user, fields.getOrDefault("password", "").toCharArray(), address);
        if (login.isAccepted()) {
            start(req, user, "password", address, resp);
            return;
        }
        // Logged and counted without the user name: it may be a mistyped password.
        ctx.refusals()
                .record(
                        new RequestRefused(login.status(), login.reason(), "console sign-in"),
                        "POST",
                        "/login",
                        address,
                        "");
        switch (login.status()) {
            case 429 -> {
                resp.setHeader("Retry-After", Long.toString(login.retryAfterSeconds()));
                form(
                        req,
                        resp,
                        429,
                        "Too many failed sign-ins: try again in " + login.retryAfterSeconds() + " s.",
                        user);
            }
            case 400 ->
                form(req, resp, 400, "User names are at most " + LoginThrottle.MAX_USER_NAME + " characters.", "");
            default ->
                form(
                        req,
                        resp,
                        401,
                        "Wrong user name or password. The next attempt is possible in "
                                + login.retryAfter().toSeconds() + " s.",
                        user);
        }
    }

    private void start(HttpServletRequest req, String user, String how, String address, HttpServletResponse resp) {
        ctx.sessions().end(ConsoleSessions.cookieValue(req.getCookies())); // a sign-in never keeps an earlier session
        var session = ctx.sessions().create(user);
        ctx.services().audit().record(user, "console.login", user, "with " + how + " from " + address);
        resp.addHeader("Set-Cookie", ConsoleSessions.setCookie(session));
        resp.addHeader("Set-Cookie", LOGIN_COOKIE + "=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict");
        resp.setStatus(303);
        resp.setHeader("Location", "/");
    }

    private static String loginCookie(HttpServletRequest req) {
        if (req.getCookies() != null) {
            for (var c : req.getCookies()) {
                if (LOGIN_COOKIE.equals(c.getName())) {
                    return c.getValue();
                }
            }
        }
        return null;
    }

    void logout(ConsoleSessions.Session session, HttpServletResponse resp) {
        ctx.sessions().end(session.id());
        ctx.services().audit().record(session.user(), "console.logout", session.user(), "");
        resp.addHeader("Set-Cookie", ConsoleSessions.clearCookie());
        resp.setStatus(303);
        resp.setHeader("Location", "/login");
    }

    /** The registered admin certificate the TLS client presented, if any. */
    private Optional<AdminCertificates.AdminCertificate> adminCertificate(HttpServletRequest req) {
        if (!(req.getAttribute("jakarta.servlet.request.X509Certificate") instanceof X509Certificate[] chain)
                || chain.length == 0) {
            return Optional.empty();
        }
        return ctx.operations()
                .adminCertificates()
                .find(Thumbprints.sha256(chain[0]))
                .filter(c -> c.notAfter().isAfter(ctx.services().clock().instant()))
                .filter(c -> ctx.services().credentials().exists(c.user()));
    }
}
