package org.opencmg.plugins.content;

import java.util.List;
import org.opencmg.api.SettingDefinition;
import org.opencmg.api.SettingsProvider;
import org.pf4j.Extension;

/** The plugin's settings, shown and changed as {@code plugins.role-content.<name>}. */
@Extension
public final class ContentSettings implements SettingsProvider {

    static final String FS_ROOT = "fs-root";
    static final String URL_LIFETIME = "url-lifetime-minutes";
    static final String TOKEN_LIFETIME = "token-lifetime-minutes";
    static final String KEY_ROTATION = "key-rotation-days";

    static final String DEFAULT_FS_ROOT = "content";

    @Override
    public List<SettingDefinition> settings() {
        return List.of(
                new SettingDefinition(FS_ROOT, false, DEFAULT_FS_ROOT,
                        "Folder of the filesystem content store (a relative path resolves against the gateway's "
                                + "data-dir). Every gateway instance must see the same folder. Changing it does not move content."),
                new SettingDefinition(URL_LIFETIME, false, "480",
                        "How long a signed content URL is valid, in minutes (default 480 = 8 hours, at most 1440). "
                                + "A storage key stays valid after rotation for this long plus 5 minutes."),
                new SettingDefinition(TOKEN_LIFETIME, false, "1440",
                        "How long a content access token is valid, in minutes (default 1440 = 24 hours)."),
                new SettingDefinition(KEY_ROTATION, false, "180",
                        "The storage key is rotated when it is older than this many days (checked whenever a URL is "
                                + "signed; 0: only on demand, cmg content rotate-key). Audited like an on-demand rotation."));
    }
}
