package org.opencmg.server.plugin;

import java.util.Map;
import org.opencmg.api.AuthOutcome;
import org.opencmg.api.Authenticator;
import org.opencmg.api.ClientRequest;
import org.opencmg.api.Refusal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a broken authenticator from breaking the gateway: an exception or a null outcome becomes
 * a 503 refusal of that request (logged), and the gateway carries on.
 */
final class AuthenticatorFacade implements Authenticator {

    private static final Logger LOG = LoggerFactory.getLogger(AuthenticatorFacade.class);

    private final Authenticator delegate;
    private final String pluginId;
    private final String method;

    AuthenticatorFacade(Authenticator delegate, String pluginId) {
        this.delegate = delegate;
        this.pluginId = pluginId;
        this.method = delegate.method();
    }

    @Override
    public String method() {
        return method;
    }

    @Override
    public AuthOutcome authenticate(ClientRequest request) {
        try {
            AuthOutcome outcome = delegate.authenticate(request);
            if (outcome == null) {
                throw new IllegalStateException("returned null");
            }
            return outcome;
        } catch (RuntimeException | LinkageError e) {
            LOG.error("auth plugin {} ({}) failed: {}", pluginId, method, e.toString());
            return AuthOutcome.refused(
                    Refusal.AUTH_PLUGIN_ERROR,
                    "plugin " + pluginId + ": " + e.getClass().getSimpleName());
        }
    }

    /** The plugin's counters; an exception or null gives none. */
    @Override
    public Map<String, Long> counters() {
        try {
            Map<String, Long> c = delegate.counters();
            return c == null ? Map.of() : c;
        } catch (RuntimeException | LinkageError e) {
            return Map.of();
        }
    }
}
