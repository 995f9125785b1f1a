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
import org.opencmg.server.secrets.SecretStore;

/**
 * {@code GET /metrics}: Prometheus text of every {@code cmg_…} series and the JVM's, for scrapers
 * that log in as an administrator (HTTP Basic) or present the scrape token (Bearer).
 * {@code POST /metrics/token} (administrators only) makes a new scrape token, shown once; the
 * previous one stops working at once. The token is kept in the secret store.
 */
public final class MetricsServlet extends HttpServlet {

    static final String SCRAPE_TOKEN = "metrics.scrape-token";

    private final transient PrometheusMeterRegistry registry;
    private final transient AdminCredentials credentials;
    private final transient SecretStore secrets;

    public MetricsServlet(PrometheusMeterRegistry registry, AdminCredentials credentials, SecretStore secrets) {
        this.registry = registry;
        this.credentials = credentials;
        this.secrets = secrets;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!"/metrics".equals(req.getRequestURI())) {
            resp.sendError(404);
            return;
        }
        String auth = req.getHeader("Authorization");
        if (credentials.checkBasic(auth).isEmpty() && !scrapeTokenMatches(auth)) {
            resp.setHeader("WWW-Authenticate", "Basic realm=\"OpenCMG admin\", charset=\"UTF-8\"");
            resp.sendError(401);
            return;
        }
        resp.setContentType("text/plain; version=0.0.4; charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.getOutputStream().write(registry.scrape().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        var admin = credentials.checkBasic(req.getHeader("Authorization"));
        if (!"/metrics/token".equals(req.getRequestURI())) {
            resp.sendError(404);
            return;
        }
        if (admin.isEmpty()) {
            resp.setHeader("WWW-Authenticate", "Basic realm=\"OpenCMG admin\", charset=\"UTF-8\"");
            resp.sendError(401);
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

    private boolean scrapeTokenMatches(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] presented = authorization.substring(7).strip().getBytes(StandardCharsets.US_ASCII);
        return secrets.current(SCRAPE_TOKEN).map(v -> MessageDigest.isEqual(v.bytes(), presented)).orElse(false);
    }
}
