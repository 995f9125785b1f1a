package org.opencmg.server.pipeline;

import java.util.List;
import java.util.function.Supplier;
import org.opencmg.api.GatewayService;
import org.opencmg.api.Refusal;
import org.opencmg.api.ServiceRequest;
import org.opencmg.api.ServiceResponse;

/**
 * {@code /CCM_Proxy_MutualAuth/ServiceMetadata} and {@code /CCM_Proxy_ServerAuth/ServiceMetadata}:
 * answered by the gateway itself, without authentication, so a client (or an administrator
 * troubleshooting one) can check it reaches this gateway and which certificate it presents.
 * Nothing secret: the product, the path family and the server certificate's public thumbprint.
 */
public final class ServiceMetadata implements GatewayService {

    private final Supplier<String> serverCertificateSha256;

    /** {@code serverCertificateSha256}: of the certificate in service now (it follows a renewal). */
    public ServiceMetadata(Supplier<String> serverCertificateSha256) {
        this.serverCertificateSha256 = serverCertificateSha256;
    }

    @Override
    public List<String> paths() {
        return List.of("/CCM_Proxy_MutualAuth/ServiceMetadata", "/CCM_Proxy_ServerAuth/ServiceMetadata");
    }

    @Override
    public boolean allowsAnonymous() {
        return true;
    }

    @Override
    public ServiceResponse handle(ServiceRequest request) {
        if (!request.method().equals("GET") && !request.method().equals("HEAD")) {
            return ServiceResponse.refuse(Refusal.METHOD_NOT_ALLOWED, request.method() + " on ServiceMetadata");
        }
        String family = request.path().toLowerCase().startsWith("/ccm_proxy_mutualauth/") ? "MutualAuth" : "ServerAuth";
        return ServiceResponse.json(200, """
                {"service": "OpenCMG", "family": "%s", "server_certificate_sha256": "%s"}
                """.formatted(family, serverCertificateSha256.get()));
    }
}
