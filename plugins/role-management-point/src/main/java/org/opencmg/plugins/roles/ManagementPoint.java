package org.opencmg.plugins.roles;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.opencmg.api.Endpoint;
import org.opencmg.api.Role;
import org.pf4j.Extension;

/**
 * A management point published through the gateway. Certificate devices use
 * {@code /CCM_Proxy_MutualAuth/<role id>/...}; token devices (site token or Entra ID, exchanged
 * for an access token at CCM_STS) use {@code /CCM_Proxy_ServerAuth/<role id>/...}. Each external
 * path maps to the same virtual directory on the management point.
 */
@Extension
public final class ManagementPoint implements Role {

    static final long SMALL = 5L * 1024 * 1024;
    /** The client notification endpoint's last segment, under both path families. */
    static final String NOTIFICATION = "CCM_Notification";

    static final long UPLOADS = 100L * 1024 * 1024;

    /** name, virtual directory, methods, largest request. */
    private record Directory(String name, String path, Set<String> methods, long maxBytes) {}

    private static final List<Directory> MUTUAL_AUTH = List.of(
            new Directory("sms_mp", "SMS_MP", Set.of("GET", "HEAD", "POST", "CCM_POST"), SMALL),
            new Directory("ccm_system", "CCM_System", Set.of("GET", "HEAD", "POST", "CCM_POST"), SMALL),
            new Directory(
                    "ccm_incoming",
                    "CCM_Incoming",
                    Set.of("GET", "HEAD", "PUT", "POST", "CCM_POST", "BITS_POST"),
                    UPLOADS),
            new Directory("ccm_client", "CCM_Client", Set.of("GET", "HEAD", "PROPFIND"), SMALL));

    private static final List<Directory> SERVER_AUTH = List.of(
            new Directory("sms_mp_tokenauth", "SMS_MP", Set.of("GET", "HEAD", "POST", "CCM_POST"), SMALL),
            new Directory(
                    "ccm_system_tokenauth", "ccm_system_tokenauth", Set.of("GET", "HEAD", "POST", "CCM_POST"), SMALL),
            new Directory(
                    "ccm_incoming_tokenauth",
                    "CCM_Incoming",
                    Set.of("GET", "HEAD", "PUT", "POST", "CCM_POST", "BITS_POST"),
                    UPLOADS),
            new Directory("ccm_client_tokenauth", "CCM_Client", Set.of("GET", "HEAD", "PROPFIND"), SMALL));

    /**
     * What the management point's virtual directories read from a device's request: the CCM
     * client identity and its signatures (every message), the BITS upload protocol's headers
     * (CCM_Incoming: state messages, inventory and other uploads), and WebDAV's Depth and
     * Translate (CCM_Client: PROPFIND of the client's content directories).
     */
    static final Set<String> REQUEST_HEADERS = Set.of(
            "CCMClientID",
            "CCMClientIDSignature",
            "CCMClientTimestamp",
            "CCMClientTimestampSignature",
            "CCMClientTimestampsSignature",
            "BITS-Packet-Type",
            "BITS-Session-Id",
            "BITS-Supported-Protocols",
            "BITS-Original-Request-URL",
            "BITS-Host-Id",
            "BITS-Host-Id-Fallback-Timeout",
            "Content-Name",
            "Depth",
            "Translate");

    @Override
    public String kind() {
        return "mp";
    }

    @Override
    public Set<String> requestHeaders() {
        return REQUEST_HEADERS;
    }

    @Override
    public List<Endpoint> endpoints(String roleId, String internalBaseUrl) {
        var out = new ArrayList<Endpoint>();
        for (Directory d : MUTUAL_AUTH) {
            out.add(new Endpoint(
                    d.name(),
                    "/CCM_Proxy_MutualAuth/" + roleId + "/" + d.path(),
                    internalBaseUrl + "/" + d.path(),
                    d.methods(),
                    d.maxBytes(),
                    Set.of("pki")));
        }
        for (Directory d : SERVER_AUTH) {
            out.add(new Endpoint(
                    d.name(),
                    "/CCM_Proxy_ServerAuth/" + roleId + "/" + d.path(),
                    internalBaseUrl + "/" + d.path(),
                    d.methods(),
                    d.maxBytes(),
                    Set.of("token")));
        }
        // Client notification: held by the gateway (a WebSocket or a long poll per device), fed by
        // the site through its connection points; nothing reaches the management point per device.
        out.add(new Endpoint(
                "ccm_notification",
                "/CCM_Proxy_MutualAuth/" + roleId + "/" + NOTIFICATION,
                Endpoint.GATEWAY_NOTIFICATIONS,
                Set.of("GET"),
                0,
                Set.of("pki")));
        out.add(new Endpoint(
                "ccm_notification_tokenauth",
                "/CCM_Proxy_ServerAuth/" + roleId + "/" + NOTIFICATION,
                Endpoint.GATEWAY_NOTIFICATIONS,
                Set.of("GET"),
                0,
                Set.of("token")));
        return out;
    }
}
