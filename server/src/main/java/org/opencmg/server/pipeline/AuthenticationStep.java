package org.opencmg.server.pipeline;

import java.util.List;
import java.util.function.Supplier;
import org.opencmg.api.AuthOutcome;
import org.opencmg.api.Authenticator;
import org.opencmg.api.ClientRequest;
import org.opencmg.api.Device;

/**
 * Step 2: ask each authentication plugin in order. The first that authenticates wins; the first
 * that refuses ends the request; if none recognises the credentials the request gets 401.
 */
public final class AuthenticationStep {

    private final Supplier<List<Authenticator>> authenticators;

    public AuthenticationStep(Supplier<List<Authenticator>> authenticators) {
        this.authenticators = authenticators;
    }

    public Device authenticate(ClientRequest request) {
        for (Authenticator a : authenticators.get()) {
            switch (a.authenticate(request)) {
                case AuthOutcome.Authenticated ok -> {
                    return ok.device();
                }
                case AuthOutcome.Refused r -> throw new RequestRefused(r.status(), r.reason(), a.method() + ": " + r.detail());
                case AuthOutcome.NotMine ignored -> {
                }
            }
        }
        throw new RequestRefused(401, "no_credentials", "no client certificate or token any authentication method accepts");
    }
}
