package org.opencmg.plugins.token;

import org.opencmg.api.AdminReply;
import org.opencmg.api.PluginContext;
import org.opencmg.api.SecretRotation;
import org.pf4j.Extension;

/** "Rotate now" for the token signing key: the same rotation as {@code POST /api/tokens/rotate-signing-key}. */
@Extension
public final class SigningKeyRotation implements SecretRotation {

    private final TokenAdmin admin;

    public SigningKeyRotation(PluginContext context) {
        this.admin = new TokenAdmin(context);
    }

    @Override
    public String secretName() {
        return SigningKeys.SECRET;
    }

    @Override
    public AdminReply rotate(String actor) {
        return admin.rotate(actor);
    }
}
