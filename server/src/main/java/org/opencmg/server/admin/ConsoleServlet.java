package org.opencmg.server.admin;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;

/** Serves the admin console's start page from the webapp module. */
public final class ConsoleServlet extends HttpServlet {

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!"/".equals(req.getRequestURI())) {
            resp.sendError(404);
            return;
        }
        resp.setContentType("text/html");
        resp.setCharacterEncoding("UTF-8");
        resp.setHeader("Content-Security-Policy", "default-src 'self'");
        try (InputStream in = ConsoleServlet.class.getResourceAsStream("/org/opencmg/webapp/index.html")) {
            if (in == null) {
                resp.sendError(404);
                return;
            }
            in.transferTo(resp.getOutputStream());
        }
    }
}
