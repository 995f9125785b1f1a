package org.opencmg.api;

import java.util.Locale;

/**
 * The one HTML-escaping helper of the admin console, for the host's pages and plugins' alike:
 * every value that did not come from the page's own code goes through {@link #text}.
 */
public final class Html {

    private Html() {}

    /** Escapes text for element content and for quoted attribute values. */
    public static String text(Object value) {
        if (value == null) {
            return "";
        }
        String s = value.toString();
        var sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> {
                    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') {
                        sb.append("&#xfffd;"); // control characters have no business in a page
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }

    /** A size as the console shows it: bytes below 1 KiB, else one decimal in KiB, MiB, GiB or TiB. */
    public static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int i = -1;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[i]);
    }

    /** The hidden field every console form carries: the session's CSRF token. */
    public static String csrfField(String token) {
        return "<input type=\"hidden\" name=\"csrf\" value=\"" + text(token) + "\">";
    }

    /** A POST form with one submit button and hidden fields (name, value pairs), CSRF token included. */
    public static String buttonForm(String action, String csrfToken, String label, String... hidden) {
        return buttonForm(action, csrfToken, label, null, hidden);
    }

    /**
     * As {@link #buttonForm(String, String, String, String...)}, the button named for assistive
     * technology by {@code accessibleName} ("Block token 42" rather than one "Block" per table row).
     */
    public static String namedButtonForm(
            String action, String csrfToken, String label, String accessibleName, String... hidden) {
        return buttonForm(action, csrfToken, label, accessibleName, hidden);
    }

    private static String buttonForm(
            String action, String csrfToken, String label, String accessibleName, String[] hidden) {
        var sb = new StringBuilder("<form method=\"post\" class=\"inline\" action=\"")
                .append(text(action))
                .append("\">")
                .append(csrfField(csrfToken));
        for (int i = 0; i + 1 < hidden.length; i += 2) {
            sb.append("<input type=\"hidden\" name=\"")
                    .append(text(hidden[i]))
                    .append("\" value=\"")
                    .append(text(hidden[i + 1]))
                    .append("\">");
        }
        sb.append("<button type=\"submit\"");
        if (accessibleName != null) {
            sb.append(" aria-label=\"").append(text(accessibleName)).append('"');
        }
        return sb.append('>').append(text(label)).append("</button></form>").toString();
    }
}
