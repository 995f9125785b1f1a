package org.opencmg.channel;

import java.time.Duration;
import java.util.Locale;

/** The duration form of both ends' configuration files: 500ms, 30s, 5m, 1h, or ISO-8601 (PT30S). */
public final class Durations {

    private Durations() {}

    public static Duration parse(String value) {
        return Duration.parse(iso(value));
    }

    /** The ISO-8601 form of a configured duration. */
    public static String iso(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.startsWith("pt")) {
            return v.toUpperCase(Locale.ROOT);
        }
        if (v.endsWith("ms")) {
            return "PT" + (Double.parseDouble(v.substring(0, v.length() - 2)) / 1000.0) + "S";
        }
        char unit = v.isEmpty() ? '?' : v.charAt(v.length() - 1);
        String n = v.isEmpty() ? "" : v.substring(0, v.length() - 1);
        return switch (unit) {
            case 's' -> "PT" + n + "S";
            case 'm' -> "PT" + n + "M";
            case 'h' -> "PT" + n + "H";
            default -> throw new IllegalArgumentException("bad duration: " + value + " (use 30s, 5m, 1h)");
        };
    }
}
