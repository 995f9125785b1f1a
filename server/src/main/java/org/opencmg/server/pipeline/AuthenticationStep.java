package org.opencmg.server.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.opencmg.api.AuthOutcome;
import org.opencmg.api.Authenticator;
import org.opencmg.api.ClientRequest;
import org.opencmg.api.Device;
import org.opencmg.api.Refusal;
import org.opencmg.server.refusal.RequestRefused;

/**
 * Step 2: ask every authentication plugin, in order. Each that recognises valid credentials adds
 * a device (a request may carry a client certificate and a token); the first that refuses ends
 * the request. Which of the devices an endpoint accepts is decided after the match
 * ({@link AuthorizationStep}).
 */
public final class AuthenticationStep {

    private final Supplier<List<Authenticator>> authenticators;

    public AuthenticationStep(Supplier<List<Authenticator>> authenticators) {
        this.authenticators = authenticators;
    }

    /** The devices the request authenticated as, in authentication order; empty if it carried no credentials. */
    public List<Device> authenticate(ClientRequest request) {
        var devices = new ArrayList<Device>(1);
        for (Authenticator a : authenticators.get()) {
            switch (a.authenticate(request)) {
                case AuthOutcome.Authenticated ok -> devices.add(ok.device());
                case AuthOutcome.Refused r -> throw new RequestRefused(r.refusal(), a.method() + ": " + r.detail());
                case AuthOutcome.NotMine ignored -> {}
            }
        }
        return devices;
    }

    public static RequestRefused noCredentials() {
        return new RequestRefused(
                Refusal.NO_CREDENTIALS, "no client certificate or token any authentication method accepts");
    }
}
