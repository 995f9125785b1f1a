package org.opencmg.server.store;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * An endpoint's budgets over a fixed window: requests and egress bytes (bytes of answers sent to
 * devices) for the endpoint as a whole and for each device on it. A null budget is none. Windows
 * are aligned on the Unix epoch (a 1d window runs from 00:00 to 24:00 UTC); at {@code warnPercent}
 * of a budget the gateway warns, at the budget it refuses (429) until the window ends.
 */
public record Quota(
        String externalPath,
        Duration window,
        Long requests,
        Long egressBytes,
        Long deviceRequests,
        Long deviceEgressBytes,
        int warnPercent,
        Instant updatedAt,
        String updatedBy) {

    public static final Duration MIN_WINDOW = Duration.ofSeconds(10);
    public static final Duration MAX_WINDOW = Duration.ofDays(31);
    public static final int DEFAULT_WARN_PERCENT = 80;

    private static final Pattern WINDOW = Pattern.compile("([0-9]{1,7})([smhd])");
    private static final Pattern SIZE =
            Pattern.compile("([0-9]{1,19})\\s*(|B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", Pattern.CASE_INSENSITIVE);

    /** @throws IllegalArgumentException with a message fit for the administrator */
    public Quota {
        if (window == null || window.compareTo(MIN_WINDOW) < 0 || window.compareTo(MAX_WINDOW) > 0) {
            throw new IllegalArgumentException(
                    "window must be from " + MIN_WINDOW.toSeconds() + "s to " + MAX_WINDOW.toDays() + "d");
        }
        for (Long b : new Long[] {requests, egressBytes, deviceRequests, deviceEgressBytes}) {
            if (b != null && b < 0) {
                throw new IllegalArgumentException("a budget is 0 or more (0: nothing passes)");
            }
        }
        if (requests == null && egressBytes == null && deviceRequests == null && deviceEgressBytes == null) {
            throw new IllegalArgumentException(
                    "give at least one budget: requests, egress_bytes, device_requests or device_egress_bytes");
        }
        if (warnPercent < 1 || warnPercent > 100) {
            throw new IllegalArgumentException("warn_percent must be from 1 to 100");
        }
    }

    public String externalPathKey() {
        return externalPath.toLowerCase(Locale.ROOT);
    }

    /** The start of the window {@code epochSecond} falls in. */
    public long windowStart(long epochSecond) {
        long w = window.toSeconds();
        return epochSecond - Math.floorMod(epochSecond, w);
    }

    /** "30s", "15m", "1h", "1d" (a number and a unit). */
    public static Duration parseWindow(String text) {
        var m = WINDOW.matcher(text == null ? "" : text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "window: a number and s, m, h or d (30s, 15m, 1h, 1d), not '" + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }

    /** A window as {@link #parseWindow} reads it, in its largest whole unit. */
    public static String formatWindow(Duration window) {
        long s = window.toSeconds();
        if (s % 86_400 == 0) {
            return s / 86_400 + "d";
        }
        if (s % 3_600 == 0) {
            return s / 3_600 + "h";
        }
        return s % 60 == 0 ? s / 60 + "m" : s + "s";
    }

    /** A byte count: "1048576", "500MB" (10^6), "10GiB" (2^30). */
    public static long parseBytes(String text) {
        var m = SIZE.matcher(text == null ? "" : text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "a size in bytes, optionally with KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, "
                            + "TiB (powers of 1024), not '" + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        long unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "kb" -> 1_000L;
            case "mb" -> 1_000_000L;
            case "gb" -> 1_000_000_000L;
            case "tb" -> 1_000_000_000_000L;
            case "kib" -> 1L << 10;
            case "mib" -> 1L << 20;
            case "gib" -> 1L << 30;
            case "tib" -> 1L << 40;
            default -> 1L;
        };
        return Math.multiplyExact(n, unit);
    }
}
