package org.opencmg.server.store;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.opencmg.api.SettingDefinition;

/** Every setting the gateway knows, with its type and default. Unknown names are refused. */
public final class SettingsCatalog {

    public static final String ENFORCE_TLS12 = "enforce-tls12";
    public static final String VERIFY_REVOCATION = "verify-revocation";
    public static final String REVOCATION_MODE = "revocation-mode";
    public static final String MAX_CHAIN_DEPTH = "max-chain-depth";
    public static final String SITE_BOUND = "site-bound";
    public static final String SITE_ROOTS = "site-roots";

    public enum Type {
        BOOLEAN,
        STRING,
        REVOCATION_MODE,
        CHAIN_DEPTH,
        SITE_LIST,
        SITE_ROOTS
    }

    private static final Pattern SITE_CODE = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern SHA256 = Pattern.compile("[0-9A-Fa-f]{64}");

    public record Definition(String name, Type type, String defaultValue, String description) {
        /** The stored form of a value, or IllegalArgumentException. */
        public String canonical(String value) {
            String v = value == null ? "" : value.strip();
            return switch (type) {
                case BOOLEAN ->
                    switch (v.toLowerCase(Locale.ROOT)) {
                        case "true", "on", "yes", "1" -> "true";
                        case "false", "off", "no", "0" -> "false";
                        default ->
                            throw new IllegalArgumentException(name + " takes on/off (true/false), not '" + v + "'");
                    };
                case STRING -> v;
                case REVOCATION_MODE ->
                    switch (v.toLowerCase(Locale.ROOT)) {
                        case "hard", "soft" -> v.toLowerCase(Locale.ROOT);
                        default -> throw new IllegalArgumentException(name + " takes hard or soft, not '" + v + "'");
                    };
                case CHAIN_DEPTH -> {
                    int n;
                    try {
                        n = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        n = -1;
                    }
                    if (n < 1 || n > 16) {
                        throw new IllegalArgumentException(
                                name + " takes a number of certificates from 1 to 16, not '" + v + "'");
                    }
                    yield Integer.toString(n);
                }
                case SITE_LIST ->
                    String.join(
                            ",",
                            entries(v).stream()
                                    .peek(site -> {
                                        if (!SITE_CODE.matcher(site).matches()) {
                                            throw new IllegalArgumentException(
                                                    name + " takes site codes separated by commas, not '" + site + "'");
                                        }
                                    })
                                    .toList());
                case SITE_ROOTS ->
                    String.join(
                            ",",
                            entries(v).stream()
                                    .map(pair -> {
                                        int colon = pair.indexOf(':');
                                        String site = colon < 0
                                                ? ""
                                                : pair.substring(0, colon).strip();
                                        String thumbprint = colon < 0
                                                ? ""
                                                : pair.substring(colon + 1)
                                                        .strip()
                                                        .replace(":", "");
                                        if (!SITE_CODE.matcher(site).matches()
                                                || !SHA256.matcher(thumbprint).matches()) {
                                            throw new IllegalArgumentException(
                                                    name + " takes SITE:SHA256-THUMBPRINT pairs separated by commas"
                                                            + " (the thumbprint of a trusted root, as `cmg roots list` shows it), not '"
                                                            + pair + "'");
                                        }
                                        return site + ":" + thumbprint.toUpperCase(Locale.ROOT);
                                    })
                                    .toList());
            };
        }
    }

    private static List<String> entries(String value) {
        return Arrays.stream(value.split(","))
                .map(String::strip)
                .filter(e -> !e.isEmpty())
                .distinct()
                .toList();
    }

    /** The site bound to each trusted root by {@link #SITE_ROOTS} (canonical form), by upper-case SHA-256 thumbprint. */
    public static Map<String, String> siteRoots(String canonical) {
        var out = new HashMap<String, String>();
        entries(canonical == null ? "" : canonical).forEach(pair -> {
            int colon = pair.indexOf(':');
            out.put(pair.substring(colon + 1), pair.substring(0, colon));
        });
        return out;
    }

    /** The sites of {@link #SITE_BOUND} (canonical form). */
    public static Set<String> sites(String canonical) {
        return Set.copyOf(entries(canonical == null ? "" : canonical));
    }

    /** The gateway's own settings. */
    public static final List<Definition> BUILT_IN = List.of(
            new Definition(
                    ENFORCE_TLS12,
                    Type.BOOLEAN,
                    "true",
                    "Client connector accepts only TLS 1.2 and 1.3 with strong (AEAD, forward-secret) suites"),
            new Definition(
                    VERIFY_REVOCATION,
                    Type.BOOLEAN,
                    "true",
                    "Check client certificates against CRLs (fetched from the CDP or uploaded)"),
            new Definition(
                    REVOCATION_MODE,
                    Type.REVOCATION_MODE,
                    "hard",
                    "hard: no current CRL refuses (revocation_unknown); soft: a CRL that cannot be obtained lets the"
                            + " certificate pass, counted and logged"),
            new Definition(
                    MAX_CHAIN_DEPTH,
                    Type.CHAIN_DEPTH,
                    "8",
                    "Most certificates a client chain may have below its trusted root, leaf included (1 to 16)"),
            new Definition(
                    SITE_BOUND,
                    Type.SITE_LIST,
                    "",
                    "Sites (codes, comma-separated) whose endpoints accept only their own devices: a device of another"
                            + " site is refused 403 wrong_site; devices whose credential names no site pass"),
            new Definition(
                    SITE_ROOTS,
                    Type.SITE_ROOTS,
                    "",
                    "SITE:SHA256 pairs (comma-separated): a device whose certificate chains to that trusted root belongs"
                            + " to that site"));

    /** Built-in settings, then those plugins declared (as plugins.&lt;id&gt;.&lt;name&gt;): one catalogue per gateway. */
    private final List<Definition> all = new CopyOnWriteArrayList<>(BUILT_IN);

    /** Adds a plugin's declared settings (at start, before anything reads them). */
    public void declare(String pluginId, List<SettingDefinition> definitions) {
        for (SettingDefinition d : definitions) {
            String name = "plugins." + pluginId + "." + d.name();
            all.removeIf(x -> x.name().equals(name));
            all.add(new Definition(
                    name,
                    d.bool() ? Type.BOOLEAN : Type.STRING,
                    d.defaultValue() == null ? "" : d.defaultValue(),
                    d.description()));
        }
    }

    /** Every known setting: the built-in ones, then the plugins'. */
    public List<Definition> all() {
        return List.copyOf(all);
    }

    public Optional<Definition> find(String name) {
        return all.stream().filter(d -> d.name().equals(name)).findFirst();
    }

    public String names() {
        return all.stream().map(Definition::name).collect(Collectors.joining(", "));
    }
}
