package org.example.hello;

import java.util.List;
import org.opencmg.api.Device;
import org.opencmg.api.GatewayService;
import org.opencmg.api.Refusal;
import org.opencmg.api.ServiceRequest;
import org.opencmg.api.ServiceResponse;
import org.pf4j.Extension;

/**
 * {@code GET /hello} on the client connector, answered by the gateway itself (never forwarded to a
 * site): who the device authenticated as. Anonymous requests are refused by the gateway (401)
 * before they reach it, as {@link #allowsAnonymous()} is left false.
 */
@Extension
public final class HelloService implements GatewayService {

    @Override
    public List<String> paths() {
        return List.of("/hello");
    }

    @Override
    public ServiceResponse handle(ServiceRequest request) {
        if (!request.method().equals("GET")) {
            return ServiceResponse.refuse(Refusal.METHOD_NOT_ALLOWED, request.method() + " /hello");
        }
        Device device = request.devices().getFirst();
        return ServiceResponse.text(200, "text/plain; charset=utf-8",
                "hello, " + (device.name() == null ? device.id() : device.name()) + " (" + device.method() + ")\n");
    }
}
