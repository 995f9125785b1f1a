package org.opencmg.server.admin;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.opencmg.api.AdminResource;
import org.opencmg.api.Role;
import org.opencmg.server.channel.ConnectionAnalyzer;
import org.opencmg.server.pipeline.QuotaStep;
import org.opencmg.server.pipeline.RequestExplainer;
import org.opencmg.server.plugin.PluginHost;
import org.opencmg.server.secrets.SecretStore;
import org.opencmg.server.state.LiveState;
import org.opencmg.server.store.AuditTrail;
import org.opencmg.server.store.ChannelStatusStore;
import org.opencmg.server.store.ClientTrustStore;
import org.opencmg.server.store.ConnectionPointStore;
import org.opencmg.server.store.EndpointStore;
import org.opencmg.server.store.QuotaStore;
import org.opencmg.server.store.SettingsStore;
import org.opencmg.server.store.TrafficStore;

/** What the admin API works on. */
public record AdminServices(
        EndpointStore endpoints,
        ClientTrustStore trust,
        SettingsStore settings,
        AuditTrail audit,
        LiveState live,
        AdminCredentials credentials,
        ConnectionPointStore connectionPoints,
        ChannelStatusStore channelStatus,
        TrafficStore traffic,
        SecretStore secrets,
        List<Role> roles,
        List<AdminResource> pluginResources,
        List<PluginHost.ContributedRotation> secretRotations,
        RequestExplainer explainer,
        Supplier<Map<String, Object>> status,
        Clock clock,
        QuotaStore quotas,
        QuotaStep quotaUse,
        ConnectionAnalyzer analyzer) {}
