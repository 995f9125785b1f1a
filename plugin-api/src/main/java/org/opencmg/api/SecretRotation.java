package org.opencmg.api;

import org.pf4j.ExtensionPoint;

/**
 * A secret of the plugin's that an administrator may rotate now: the console's Secrets page offers
 * "Rotate now" beside it and calls {@link #rotate}. The plugin makes the new version and keeps the
 * previous one valid for the overlap its users need (tokens or URLs signed with it).
 */
public interface SecretRotation extends ExtensionPoint {

    /** The secret's name as the plugin gives it to {@link Secrets} (the host scopes it to the plugin). */
    String secretName();

    /** Rotates now; answers as the plugin's admin API would (an error status and message if it cannot). */
    AdminReply rotate(String actor);
}
