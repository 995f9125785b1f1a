package org.opencmg.webapp;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/** The console's static files from the webapp module; only these names are served. */
final class Assets {

    private static final Map<String, String> TYPES = Map.of(
            "/assets/console.css", "text/css; charset=utf-8",
            "/assets/upload.js", "text/javascript; charset=utf-8");

    private Assets() {}

    static void serve(String path, HttpServletResponse resp) throws IOException {
        String type = TYPES.get(path);
        InputStream in = type == null
                ? null
                : Assets.class.getResourceAsStream("/org/opencmg/webapp/" + path.substring("/assets/".length()));
        if (in == null) {
            resp.sendError(404);
            return;
        }
        try (in) {
            resp.setContentType(type);
            resp.setHeader("Cache-Control", "max-age=300");
            in.transferTo(resp.getOutputStream());
        }
    }
}
