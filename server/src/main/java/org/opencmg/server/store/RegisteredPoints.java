package org.opencmg.server.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.opencmg.server.store.ConnectionPointStore.Registration;

/**
 * The registered connection points as the channel connector reads them: by certificate
 * thumbprint, in memory, so that a TLS handshake and a hello never wait for the database.
 */
public record RegisteredPoints(Map<String, List<Registration>> byThumbprint) {

    public static final RegisteredPoints NONE = new RegisteredPoints(Map.of());

    public static RegisteredPoints of(List<Registration> registrations) {
        return new RegisteredPoints(Map.copyOf(registrations.stream()
                .collect(Collectors.groupingBy(Registration::thumbprintSha256, Collectors.toUnmodifiableList()))));
    }

    /** Whether any connection point is registered with this certificate (checked during the TLS handshake). */
    public boolean knows(String thumbprintSha256) {
        return byThumbprint.containsKey(thumbprintSha256);
    }

    /** The registration of this certificate and connection ID; the ID is compared in constant time. */
    public Optional<Registration> find(String thumbprintSha256, String connectionId) {
        byte[] presented = connectionId.getBytes(StandardCharsets.UTF_8);
        return byThumbprint.getOrDefault(thumbprintSha256, List.of()).stream()
                .filter(r -> MessageDigest.isEqual(r.connectionId().getBytes(StandardCharsets.UTF_8), presented))
                .findFirst();
    }
}
