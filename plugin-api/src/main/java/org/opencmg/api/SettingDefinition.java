package org.opencmg.api;

/**
 * A setting a plugin declares (see {@link SettingsProvider}); stored and shown as
 * {@code plugins.<plugin-id>.<name>}, changed like every other setting.
 *
 * @param bool true for an on/off setting, false for free text (validated by the plugin when read)
 */
public record SettingDefinition(String name, boolean bool, String defaultValue, String description) {}
