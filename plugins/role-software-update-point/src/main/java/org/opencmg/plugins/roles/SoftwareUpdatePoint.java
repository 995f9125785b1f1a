package org.opencmg.plugins.roles;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.opencmg.api.Endpoint;
import org.opencmg.api.Role;
import org.pf4j.Extension;

/**
 * A software update point (WSUS) published through the gateway: the SOAP web services of
 * [MS-WUSP] and the Content and SelfUpdate virtual directories (HEAD and ranged GET), under both
 * path families with the SUP's role ID.
 */
@Extension
public final class SoftwareUpdatePoint implements Role {

    private static final long SOAP = 5L * 1024 * 1024;

    private record Directory(String path, Set<String> methods, long maxBytes) {}

    private static final List<Directory> DIRECTORIES = List.of(
            new Directory("ClientWebService", Set.of("POST", "GET", "HEAD"), SOAP),
            new Directory("SimpleAuthWebService", Set.of("POST", "GET", "HEAD"), SOAP),
            new Directory("ReportingWebService", Set.of("POST", "GET", "HEAD"), SOAP),
            new Directory("Content", Set.of("GET", "HEAD"), 0),
            new Directory("SelfUpdate", Set.of("GET", "HEAD"), 0));

    @Override
    public String kind() {
        return "sup";
    }

    /** The SOAP services of [MS-WUSP] are SOAP 1.1: the action is the SOAPAction header. Content needs only Range and If-*. */
    @Override
    public Set<String> requestHeaders() {
        return Set.of("SOAPAction");
    }

    @Override
    public List<Endpoint> endpoints(String roleId, String internalBaseUrl) {
        var out = new ArrayList<Endpoint>();
        for (Directory d : DIRECTORIES) {
            out.add(new Endpoint(
                    d.path().toLowerCase(),
                    "/CCM_Proxy_MutualAuth/" + roleId + "/" + d.path(),
                    internalBaseUrl + "/" + d.path(),
                    d.methods(),
                    d.maxBytes(),
                    Set.of("pki")));
            out.add(new Endpoint(
                    d.path().toLowerCase() + "_tokenauth",
                    "/CCM_Proxy_ServerAuth/" + roleId + "/" + d.path(),
                    internalBaseUrl + "/" + d.path(),
                    d.methods(),
                    d.maxBytes(),
                    Set.of("token")));
        }
        return out;
    }
}
