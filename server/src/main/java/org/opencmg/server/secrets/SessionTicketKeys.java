package org.opencmg.server.secrets;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.opencmg.api.AdminReply;
import org.opencmg.api.SecretRotation;
import org.opencmg.api.SecretValue;
import org.opencmg.api.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys that seal the client connector's TLS session tickets, kept as one secret in the store
 * so that every instance on it seals and opens the same tickets: a device resumes its session on
 * whichever instance it reaches, and after a restart. Rotated every {@link #ROTATION} by the first
 * instance that finds it due; the key before keeps opening tickets for {@link #OVERLAP}, the
 * lifetime of a session, then is deleted. {@link #tick} runs on every state poll.
 */
public final class SessionTicketKeys implements SecretRotation {

    public static final String SECRET = "tls.session-ticket-key";
    public static final Duration ROTATION = Duration.ofHours(12);
    /** As long as a ticket sealed just before a rotation stays usable (the sessions' lifetime). */
    public static final Duration OVERLAP = Duration.ofHours(12);

    /** Name (16 bytes), HMAC key (16), AES key (16): the layout BoringSSL's ticket keys take. */
    static final int KEY_BYTES = 48;

    private static final Logger LOG = LoggerFactory.getLogger(SessionTicketKeys.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretStore store;
    private final Clock clock;
    private final String actor;
    private final Consumer<List<byte[]>> install;
    private List<Integer> installed = List.of();

    /** {@code install}: takes the valid keys, the sealing one first, whenever they change. */
    public SessionTicketKeys(SecretStore store, Clock clock, String actor, Consumer<List<byte[]>> install) {
        this.store = store;
        this.clock = clock;
        this.actor = actor;
        this.install = install;
    }

    /** Makes the first key or rotates a due one, and installs the valid keys when they changed. */
    public synchronized void tick() {
        try {
            SecretValue sealing = store.currentOrCreate(SECRET, SessionTicketKeys::generate, actor);
            if (!sealing.createdAt().plus(ROTATION).isAfter(clock.instant())) {
                store.rotate(SECRET, SessionTicketKeys::generate, OVERLAP, actor);
            }
        } catch (StoreException e) {
            // Another instance rotated at the same moment (same version number): take its key.
            LOG.info("session ticket key not rotated here: {}", e.getMessage());
            store.reload();
        }
        List<SecretValue> valid = store.valid(SECRET);
        List<Integer> versions = valid.stream().map(SecretValue::version).toList();
        if (!versions.equals(installed)) {
            install.accept(valid.stream().map(SecretValue::bytes).toList());
            installed = versions;
            LOG.info("TLS session ticket keys in use: versions {} (the first seals new tickets)", versions);
        }
    }

    @Override
    public String secretName() {
        return SECRET;
    }

    /** "Rotate now" (the console's Secrets page): a new sealing key; the previous one opens tickets for the overlap. */
    @Override
    public AdminReply rotate(String actor) {
        SecretValue next = store.rotate(SECRET, SessionTicketKeys::generate, OVERLAP, actor);
        tick();
        return AdminReply.ok(Map.of("secret", SECRET, "version", next.version()));
    }

    static byte[] generate() {
        byte[] key = new byte[KEY_BYTES];
        RANDOM.nextBytes(key);
        return key;
    }
}
