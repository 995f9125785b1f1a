package org.opencmg.webapp;

import jakarta.servlet.MultipartConfigElement;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Optional;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.opencmg.server.admin.AdminConsole;

/** The admin console as the gateway host mounts it: {@code Gateway.start(config, WebConsole::new)}. */
public final class WebConsole implements AdminConsole {

    private final Parts parts;
    private final ConsoleSessions sessions;

    public WebConsole(Parts parts) {
        this.parts = parts;
        this.sessions =
                new ConsoleSessions(parts.jdbc(), parts.operations().services().clock());
    }

    @Override
    public Optional<String> sessionUser(HttpServletRequest req) {
        return sessions.find(ConsoleSessions.cookieValue(req.getCookies()))
                .filter(s -> CsrfTokens.matches(s.csrfToken(), req.getHeader("X-CSRF-Token")))
                .map(ConsoleSessions.Session::user);
    }

    @Override
    public void mount(ServletContextHandler admin) {
        var holder = new ServletHolder(new ConsoleServlet(new ConsoleContext(
                parts.operations().services(),
                parts.operations(),
                sessions,
                parts.refusals(),
                parts.plugins(),
                parts.pluginPages(),
                parts.gatewayCertificates())));
        // Console forms upload small text files (PEM); kept in memory, bounded.
        holder.getRegistration()
                .setMultipartConfig(new MultipartConfigElement(
                        "",
                        ConsoleServlet.MAX_UPLOAD,
                        ConsoleServlet.MAX_UPLOAD * 2,
                        (int) ConsoleServlet.MAX_UPLOAD * 2));
        admin.addServlet(holder, "/");
    }
}
