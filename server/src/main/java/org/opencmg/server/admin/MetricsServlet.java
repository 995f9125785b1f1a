package org.opencmg.server.admin;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import org.opencmg.api.Refusal;
import org.opencmg.server.refusal.Refusals;
import org.opencmg.server.refusal.RequestRefused;
import org.opencmg.server.secrets.SecretStore;

/**
 * {@code GET /metrics}: Prometheus text of every {@code cmg_…} series and the JVM's, for scrapers
 * that log in as an administrator (HTTP Basic) or present the scrape token (Bearer).
 * {@code POST /metrics/token} (administrators only) makes a new scrape token, shown once; the
 * previous one stops working at once. The token is kept in the secret store. Basic logins share
 * the console's throttle; requests a browser sends for another site are refused.
 */
public final class MetricsServlet extends HttpServlet {

    static final String SCRAPE_TOKEN = "metrics.scrape-token";

    private final transient PrometheusMeterRegistry registry;
    private final transient AdminCredentials credentials;
    private final transient SecretStore secrets;
    private final transient Refusals refusals;

    public MetricsServlet(
            PrometheusMeterRegistry registry, AdminCredentials credentials, SecretStore secrets, Refusals refusals) {
        this.registry = registry;
        this.credentials = credentials;
        this.secrets = secrets;
        this.refusals = refusals;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!"/metrics".equals(req.getRequestURI())) {
            resp.sendError(404);
            return;
        }
        String auth = req.getHeader("Authorization");
        if (!scrapeTokenMatches(auth) && administrator(req, resp).isEmpty()) {
            return;
        }
        resp.setContentType("text/plain; version=0.0.4; charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.getOutputStream().write(registry.scrape().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!"/metrics/token".equals(req.getRequestURI())) {
            resp.sendError(404);
            return;
        }
        var admin = administrator(req, resp);
        if (admin.isEmpty()) {
            return;
        }
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        secrets.rotate(SCRAPE_TOKEN, () -> token.getBytes(StandardCharsets.US_ASCII), Duration.ZERO, admin.get());
        resp.setContentType("application/json");
        resp.setHeader("Cache-Control", "no-store");
        resp.getOutputStream().write(("{\"scrape_token\": \"" + token + "\"}\n").getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * The administrator logged in with HTTP Basic (throttled as the console is), or empty after
     * answering the refusal: 403 for a request of another site, 400, 401 or 429 for the login.
     */
    private Optional<String> administrator(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        var crossSite = CrossSiteCheck.violation(req);
        if (crossSite.isPresent()) {
            refuse(req, resp, Refusal.CROSS_SITE.status(), Refusal.CROSS_SITE.code(), crossSite.get());
            return Optional.empty();
        }
        var login = credentials.checkBasic(req.getHeader("Authorization"), req.getRemoteAddr());
        if (login.isAccepted()) {
            return Optional.of(login.user());
        }
        login.setHeaders(req, resp);
        refuse(req, resp, login.status(), login.reason(), "");
        return Optional.empty();
    }

    /** Logs and counts the refusal; the body is its reason code. */
    private void refuse(HttpServletRequest req, HttpServletResponse resp, int status, String reason, String detail)
            throws IOException {
        refusals.record(
                new RequestRefused(status, reason, detail),
                req.getMethod(),
                req.getRequestURI(),
                req.getRemoteAddr(),
                "");
        if (req.getContentLengthLong() != 0) {
            resp.setHeader(
                    "Connection", "close"); // the body stays unread: say so, or a client may reuse the connection
        }
        resp.setStatus(status);
        resp.setContentType("text/plain; charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.getOutputStream().write((reason + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private boolean scrapeTokenMatches(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] presented = authorization.substring(7).strip().getBytes(StandardCharsets.US_ASCII);
        return secrets.current(SCRAPE_TOKEN)
                .map(v -> MessageDigest.isEqual(v.bytes(), presented))
                .orElse(false);
    }
}
