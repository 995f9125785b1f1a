package org.opencmg.server.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.opencmg.api.GatewayService;

/** The paths the gateway answers itself, by pattern ({@code *} one segment, final {@code **} any rest). */
public final class GatewayServices {

    private record Entry(String[] pattern, GatewayService service) {}

    private final List<Entry> entries = new ArrayList<>();

    public GatewayServices(List<GatewayService> services) {
        for (GatewayService s : services) {
            for (String p : s.paths()) {
                entries.add(new Entry(p.toLowerCase(Locale.ROOT).substring(1).split("/"), s));
            }
        }
    }

    public Optional<GatewayService> find(CanonicalPath path) {
        List<String> segments = path.segments();
        for (Entry e : entries) {
            if (matches(e.pattern(), segments)) {
                return Optional.of(e.service());
            }
        }
        return Optional.empty();
    }

    private static boolean matches(String[] pattern, List<String> segments) {
        for (int i = 0; i < pattern.length; i++) {
            if (pattern[i].equals("**") && i == pattern.length - 1) {
                return segments.size() >= i;
            }
            if (i >= segments.size()) {
                return false;
            }
            if (!pattern[i].equals("*") && !pattern[i].equals(segments.get(i).toLowerCase(Locale.ROOT))) {
                return false;
            }
        }
        return pattern.length == segments.size();
    }
}
