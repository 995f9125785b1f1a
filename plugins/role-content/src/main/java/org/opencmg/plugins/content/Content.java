package org.opencmg.plugins.content;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;
import org.opencmg.api.ContentStore;
import org.opencmg.api.PluginContext;

/** What the plugin's extensions share: the store, the catalog, the URL signer, the token issuer. */
final class Content {

    static final Pattern PACKAGE = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    static final Pattern FILE = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}");
    /** Where the gateway serves signed content URLs: {@code /content/<package>/<version>/<file>}. */
    static final String URL_PREFIX = "/content/";

    final PluginContext context;
    final Catalog catalog;
    final UrlSigner signer;
    final ContentTokens tokens;

    Content(PluginContext context) {
        this.context = context;
        this.catalog = new Catalog(context.dataSource());
        this.signer = new UrlSigner(context.secrets());
        this.tokens = new ContentTokens(context.secrets());
    }

    static Content of(PluginContext context) {
        return context.shared(Content.class, () -> new Content(context));
    }

    /** The store as the settings name it now. */
    ContentStore store() {
        String root = context.setting(ContentSettings.FS_ROOT).filter(s -> !s.isBlank()).orElse(ContentSettings.DEFAULT_FS_ROOT);
        return new FsContentStore(context.dataDir().resolve(root.strip()).normalize()); // absolute stays absolute
    }

    Duration urlLifetime() {
        return minutes(ContentSettings.URL_LIFETIME, 480, UrlSigner.MAX_URL_LIFETIME.toMinutes());
    }

    /** The age after which the storage key is rotated; zero: never automatically. */
    Duration keyRotation() {
        long days = 180;
        try {
            days = Long.parseLong(context.setting(ContentSettings.KEY_ROTATION).orElse("180").strip());
        } catch (NumberFormatException e) {
            // a bad value: the default
        }
        return Duration.ofDays(Math.max(0, days));
    }

    /**
     * Signs a content URL path, first rotating the storage key if it is older than key-rotation-days
     * (audited as the plugin's own, scheduled rotation).
     */
    String signUrl(String path, java.time.Instant now, java.time.Instant expires) {
        Duration maxAge = keyRotation();
        if (!maxAge.isZero()) {
            signer.rotateIfOlder(maxAge, now, urlLifetime(), rotated -> context.audit().record("plugin:role-content",
                    "content.rotate-key", UrlSigner.SECRET, "scheduled (key older than " + maxAge.toDays() + " days); new kid "
                            + rotated.version()));
        }
        return signer.sign(path, expires);
    }

    Duration tokenLifetime() {
        return minutes(ContentSettings.TOKEN_LIFETIME, 1440, 7 * 1440);
    }

    private Duration minutes(String setting, long fallback, long max) {
        long m = fallback;
        try {
            m = Long.parseLong(context.setting(setting).orElse(Long.toString(fallback)).strip());
        } catch (NumberFormatException e) {
            // a bad value: the default
        }
        return Duration.ofMinutes(Math.max(1, Math.min(max, m)));
    }

    static String storeKey(String packageId, int version, String name) {
        return packageId + "/" + version + "/" + name;
    }

    static String urlPath(String packageId, int version, String name) {
        return URL_PREFIX + packageId + "/" + version + "/" + name;
    }
}
