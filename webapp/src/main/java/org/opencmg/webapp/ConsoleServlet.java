package org.opencmg.webapp;

import static org.opencmg.api.Html.text;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.opencmg.api.AdminPage;
import org.opencmg.api.PageReply;
import org.opencmg.api.PageRequest;
import org.opencmg.server.admin.ApiError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin console: server-rendered pages on the admin connector. Deny by default: every page
 * but the login page and the static assets needs a session; every POST needs the session's CSRF
 * token; a failure shows a one-line message, never a stack trace.
 */
public final class ConsoleServlet extends HttpServlet {

    private static final Logger LOG = LoggerFactory.getLogger(ConsoleServlet.class);
    /** The largest file a console form takes (certificates, CRLs). */
    public static final long MAX_UPLOAD = FormFields.MAX_FILE;

    static final String CSP = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

    private final transient ConsoleContext ctx;
    private final transient LoginPage login;
    /** The host's own pages by path ("" = the dashboard), in navigation order. */
    private final transient Map<String, AdminPage> pages = new LinkedHashMap<>();

    public ConsoleServlet(ConsoleContext ctx) {
        this.ctx = ctx;
        this.login = new LoginPage(ctx);
        for (AdminPage p : List.of(
                new DashboardPage(ctx),
                new TrafficPage(ctx),
                new EndpointsPage(ctx),
                new TrustPage(ctx),
                new SettingsPage(ctx),
                new SecretsPage(ctx),
                new AuditPage(ctx),
                new PluginsPage(ctx),
                new ExplainPage(ctx),
                new AnalyzePage(ctx),
                new AdminCertificatesPage(ctx))) {
            pages.put(p.path(), p);
        }
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setHeader("Content-Security-Policy", CSP);
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setHeader("X-Frame-Options", "DENY");
        resp.setHeader("Referrer-Policy", "no-referrer");
        String method = req.getMethod();
        String path = req.getRequestURI();
        if (!"GET".equals(method) && !"POST".equals(method) && !"HEAD".equals(method)) {
            resp.setHeader("Allow", "GET, HEAD, POST");
            plain(resp, 405, "method not allowed");
            return;
        }
        if ("/favicon.ico".equals(path)) {
            resp.sendError(404);
            return;
        }
        if (path.startsWith("/assets/") && !"POST".equals(method)) {
            Assets.serve(path, resp);
            return;
        }
        resp.setHeader("Cache-Control", "no-store");
        try {
            if ("/login".equals(path)) {
                login.handle(req, resp);
                return;
            }
            var session = ctx.sessions().find(ConsoleSessions.cookieValue(req.getCookies()));
            if (session.isEmpty()) {
                if ("POST".equals(method)) {
                    plain(resp, 403, "forbidden: not signed in");
                } else {
                    resp.setStatus(303);
                    resp.setHeader("Location", "/login");
                }
                return;
            }
            Map<String, String> fields = FormFields.read(req);
            if ("POST".equals(method) && !CsrfTokens.matches(session.get().csrfToken(), fields.get("csrf"))) {
                LOG.warn(
                        "console POST {} without a valid CSRF token from {} (session of {})",
                        path,
                        req.getRemoteAddr(),
                        session.get().user());
                page(
                        resp,
                        403,
                        "Forbidden",
                        "<p>The form's security token is missing or wrong, so nothing was changed. "
                                + "<a href=\"/\">Reload the console</a> and try again.</p>",
                        session.get(),
                        null);
                return;
            }
            if ("/logout".equals(path) && "POST".equals(method)) {
                login.logout(session.get(), resp);
                return;
            }
            dispatch(req, resp, path, fields, session.get());
        } catch (IllegalArgumentException e) {
            plain(resp, 400, e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("console {} {} failed", method, path, e);
            plain(resp, 500, "internal error; see the gateway log");
        }
    }

    private void dispatch(
            HttpServletRequest req,
            HttpServletResponse resp,
            String path,
            Map<String, String> fields,
            ConsoleSessions.Session session)
            throws IOException {
        AdminPage page = null;
        String base = null;
        String sub = "";
        String[] seg = path.substring(1).split("/", -1);
        if (seg.length >= 3 && "plugins".equals(seg[0])) {
            for (var c : ctx.pluginPages()) {
                if (c.pluginId().equals(seg[1]) && c.page().path().equals(seg[2])) {
                    page = c.page();
                    base = "/plugins/" + seg[1] + "/" + seg[2];
                    sub = path.substring(base.length());
                }
            }
        } else if (seg.length <= 2) {
            page = pages.get(seg[0]);
            base = "/" + seg[0];
            sub = seg.length == 2 ? "/" + seg[1] : "";
        }
        if (page == null) {
            page(
                    resp,
                    404,
                    "Not found",
                    "<p>There is no such page. <a href=\"/\">Back to the dashboard</a>.</p>",
                    session,
                    null);
            return;
        }
        var request = new PageRequest(req.getMethod(), sub, fields, session.user(), session.csrfToken(), base);
        PageReply reply;
        boolean post = "POST".equals(req.getMethod());
        try {
            reply = post ? page.submit(request) : page.render(request);
        } catch (ApiError e) {
            reply = post ? PageReply.refused(e.getMessage()) : PageReply.error(e.status, e.getMessage());
        } catch (IllegalArgumentException e) {
            reply = post ? PageReply.refused(e.getMessage()) : PageReply.error(400, e.getMessage());
        } catch (RuntimeException | LinkageError e) {
            LOG.error("console page {} failed", path, e);
            reply = post
                    ? PageReply.refused("internal error; see the gateway log")
                    : PageReply.error(500, "internal error; see the gateway log");
        }
        if (reply == null) {
            reply = PageReply.error(500, "the page gave no answer");
        }
        if (reply.redirect() != null) {
            if (reply.message() != null) {
                session.flash(reply.message(), reply.failed());
            }
            resp.setStatus(303);
            resp.setHeader(
                    "Location", base.isEmpty() || base.equals("/") ? "/" + reply.redirect() : base + reply.redirect());
            return;
        }
        String title = page.title();
        if (reply.html() == null) {
            page(resp, reply.status(), title, "", session, reply.message() == null ? "refused" : reply.message());
            return;
        }
        page(resp, reply.status(), title, reply.html(), session, null);
    }

    private void page(
            HttpServletResponse resp,
            int status,
            String title,
            String body,
            ConsoleSessions.Session session,
            String error)
            throws IOException {
        String message = error;
        boolean failed = error != null;
        if (message == null) {
            var flash = session.takeFlash();
            if (flash.isPresent()) {
                message = flash.get().getKey();
                failed = flash.get().getValue();
            }
        }
        String current = currentHref(title);
        write(
                resp,
                status,
                Layout.page(title, body, nav(), current, session.user(), session.csrfToken(), message, failed));
    }

    private String currentHref(String title) {
        for (var l : nav()) {
            if (l.title().equals(title)) {
                return l.href();
            }
        }
        return null;
    }

    private List<Layout.Link> nav() {
        var out = new ArrayList<Layout.Link>();
        for (var p : pages.values()) {
            out.add(new Layout.Link("/" + p.path(), p.title()));
        }
        for (var c : ctx.pluginPages()) {
            out.add(new Layout.Link(
                    "/plugins/" + c.pluginId() + "/" + c.page().path(), c.page().title()));
        }
        return out;
    }

    static void write(HttpServletResponse resp, int status, String html) throws IOException {
        byte[] bytes = html.getBytes(StandardCharsets.UTF_8);
        resp.setStatus(status);
        resp.setContentType("text/html; charset=utf-8");
        resp.setContentLength(bytes.length);
        resp.getOutputStream().write(bytes);
    }

    /** A short page for answers outside the layout (no session, or a refused request). */
    static void plain(HttpServletResponse resp, int status, String message) throws IOException {
        write(
                resp,
                status,
                "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + status
                        + " · OpenCMG</title><link rel=\"stylesheet\" href=\"/assets/console.css\"></head><body><main id=\"main\"><h1>"
                        + status + "</h1><p role=\"alert\">" + text(message)
                        + "</p><p><a href=\"/\">OpenCMG admin console</a></p></main></body></html>\n");
    }
}
