package org.opencmg.plugins.content;

import org.opencmg.api.AdminReply;
import org.opencmg.api.PluginContext;
import org.opencmg.api.SecretRotation;
import org.pf4j.Extension;

/** "Rotate now" for the content storage key: the same rotation as {@code POST /api/content/rotate-key}. */
@Extension
public final class StorageKeyRotation implements SecretRotation {

    private final ContentAdmin admin;

    public StorageKeyRotation(PluginContext context) {
        this.admin = new ContentAdmin(context);
    }

    @Override
    public String secretName() {
        return UrlSigner.SECRET;
    }

    @Override
    public AdminReply rotate(String actor) {
        return admin.rotate(actor);
    }
}
