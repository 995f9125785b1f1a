package org.opencmg.plugins.token;

import java.util.List;
import org.opencmg.api.SettingDefinition;
import org.opencmg.api.SettingsProvider;
import org.pf4j.Extension;

/** The plugin's settings, shown and changed as {@code plugins.auth-token.<name>}. */
@Extension
public final class TokenSettings implements SettingsProvider {

    @Override
    public List<SettingDefinition> settings() {
        return List.of(new SettingDefinition(
                Tokens.SITE_ID_SETTING,
                false,
                "",
                "Site id in the token issuer (urn:sccm:oauth2:<site id>). Empty: a random GUID made once and kept in "
                        + "the secret store. Changing it makes every token issued before unknown to the gateway."));
    }
}
