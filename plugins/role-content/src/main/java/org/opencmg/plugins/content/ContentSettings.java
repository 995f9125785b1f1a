package org.opencmg.plugins.content;

import java.util.List;
import org.opencmg.api.SettingDefinition;
import org.opencmg.api.SettingsProvider;
import org.pf4j.Extension;

/** The plugin's settings, shown and changed as {@code plugins.role-content.<name>}. */
@Extension
public final class ContentSettings implements SettingsProvider {

    static final String STORE = "store";
    static final String FS_ROOT = "fs-root";
    static final String AZURE_ENDPOINT = "azure-endpoint";
    static final String AZURE_ACCOUNT = "azure-account";
    static final String AZURE_CONTAINER = "azure-container";
    static final String URL_LIFETIME = "url-lifetime-minutes";
    static final String TOKEN_LIFETIME = "token-lifetime-minutes";
    static final String KEY_ROTATION = "key-rotation-days";

    static final String DEFAULT_FS_ROOT = "content";
    static final String DEFAULT_AZURE_CONTAINER = "opencmg-content";

    @Override
    public List<SettingDefinition> settings() {
        return List.of(
                new SettingDefinition(
                        STORE,
                        false,
                        Content.FILESYSTEM,
                        "Where content lives: filesystem (the gateway serves it from fs-root with signed URLs) or azure-blob "
                                + "(an Azure Storage container; devices download with SAS URLs straight from Azure). "
                                + "Changing it does not move content: upload the packages again."),
                new SettingDefinition(
                        AZURE_ENDPOINT,
                        false,
                        "",
                        "The storage account's blob endpoint, https://ACCOUNT.blob.core.windows.net (the emulator: "
                                + "http://127.0.0.1:10000/ACCOUNT). Its two access keys go into the secret store with "
                                + "cmg content azure-key --slot 1|2."),
                new SettingDefinition(
                        AZURE_ACCOUNT, false, "", "The storage account name (default: taken from azure-endpoint)."),
                new SettingDefinition(
                        AZURE_CONTAINER,
                        false,
                        DEFAULT_AZURE_CONTAINER,
                        "The blob container that holds the content (created on the first upload)."),
                new SettingDefinition(
                        FS_ROOT,
                        false,
                        DEFAULT_FS_ROOT,
                        "Folder of the filesystem content store (a relative path resolves against the gateway's "
                                + "data-dir). Every gateway instance must see the same folder. Changing it does not move content."),
                new SettingDefinition(
                        URL_LIFETIME,
                        false,
                        "480",
                        "How long a signed content URL is valid, in minutes (default 480 = 8 hours, at most 1440). "
                                + "A storage key stays valid after rotation for this long plus 5 minutes."),
                new SettingDefinition(
                        TOKEN_LIFETIME,
                        false,
                        "1440",
                        "How long a content access token is valid, in minutes (default 1440 = 24 hours)."),
                new SettingDefinition(
                        KEY_ROTATION,
                        false,
                        "180",
                        "The storage key is rotated when it is older than this many days (checked whenever a URL is "
                                + "signed; 0: only on demand, cmg content rotate-key). Audited like an on-demand rotation."));
    }
}
