package org.opencmg.webapp;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.Part;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A request's query and form fields, first value of each. A file of a multipart form becomes a
 * text field (the console only takes small text files: PEM certificates and CRLs); an empty file
 * input does not hide a filled text field of the same name.
 */
final class FormFields {

    static final int MAX_FILE = 1024 * 1024;

    private FormFields() {}

    static Map<String, String> read(HttpServletRequest req) throws IOException {
        var out = new LinkedHashMap<String, String>();
        String type = req.getContentType();
        if ("POST".equals(req.getMethod())
                && type != null
                && type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            try {
                for (Part p : req.getParts()) {
                    String value;
                    try (InputStream in = p.getInputStream()) {
                        byte[] data = in.readNBytes(MAX_FILE + 1);
                        if (data.length > MAX_FILE) {
                            throw new IllegalArgumentException(p.getName() + ": larger than 1 MiB");
                        }
                        value = new String(data, StandardCharsets.UTF_8);
                    }
                    if (p.getSubmittedFileName() != null && value.isEmpty()) {
                        continue;
                    }
                    out.merge(p.getName(), value, (a, b) -> a.isBlank() ? b : a);
                }
            } catch (ServletException | IllegalStateException e) {
                throw new IllegalArgumentException("unreadable form");
            }
        }
        Map<String, String[]> params;
        try {
            params = req.getParameterMap();
        } catch (RuntimeException e) { // too large or malformed: a refusal, not an internal error
            throw new IllegalArgumentException("unreadable form");
        }
        params.forEach((k, v) -> out.putIfAbsent(k, v.length > 0 ? v[0] : ""));
        return out;
    }
}
