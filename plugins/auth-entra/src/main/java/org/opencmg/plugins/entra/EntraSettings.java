package org.opencmg.plugins.entra;

import java.util.List;
import org.opencmg.api.SettingDefinition;
import org.opencmg.api.SettingsProvider;
import org.pf4j.Extension;

/** The settings of the auth-entra plugin, stored as {@code plugins.auth-entra.<name>}. */
@Extension
public final class EntraSettings implements SettingsProvider {

    public static final String TENANTS = "tenants";
    public static final String JWKS_CA_FILE = "jwks-ca-file";
    public static final String CLOCK_SKEW_SECONDS = "clock-skew-seconds";

    static final String DEFAULT_TENANTS = "[]";
    static final String DEFAULT_CLOCK_SKEW_SECONDS = "120";

    @Override
    public List<SettingDefinition> settings() {
        return List.of(
                new SettingDefinition(
                        TENANTS,
                        false,
                        DEFAULT_TENANTS,
                        "Onboarded Entra ID tenants, a JSON array of {\"tenant_id\", \"client_app_id\", \"app_id_uri\","
                                + " \"jwks_url\"} (optional \"server_app_id\": a further accepted audience, for v2 tokens)"),
                new SettingDefinition(
                        JWKS_CA_FILE,
                        false,
                        "",
                        "PEM file of CA certificates trusted for fetching the tenants' JWKS over HTTPS,"
                                + " in addition to the JDK's (empty: the JDK's only)"),
                new SettingDefinition(
                        CLOCK_SKEW_SECONDS,
                        false,
                        DEFAULT_CLOCK_SKEW_SECONDS,
                        "Tolerance in seconds (0-600) when checking Entra ID token expiry (exp) and start (nbf)"));
    }
}
