package org.opencmg.api;

import java.util.List;
import org.pf4j.ExtensionPoint;

/** Declares a plugin's settings, so administrators can see and change them and typos are refused. */
public interface SettingsProvider extends ExtensionPoint {

    List<SettingDefinition> settings();
}
