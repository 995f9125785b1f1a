package org.opencmg.server.secrets;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import org.opencmg.api.AuditLog;
import org.opencmg.api.Jdbc;
import org.opencmg.api.SecretValue;
import org.opencmg.api.StoreException;
import org.opencmg.server.store.StateRevisions;

/**
 * Secrets encrypted with AES-256-GCM under the {@link MasterKey} (table secrets). Each secret has
 * versions: one active, earlier ones valid until the end of their overlap period, then deleted.
 * The ciphertext is bound to its name and version, so rows cannot be swapped. Only metadata ever
 * leaves this class except through {@link SecretValue}, whose toString hides the value.
 *
 * <p>Reads are served from an in-memory snapshot of every version, so a device's request never
 * reaches the database: {@link #reload()} runs after each local rotation and whenever another
 * instance bumps the {@value StateRevisions#SECRETS} revision. Versions past their overlap are
 * left out at once and deleted from the table on the admin and rotation paths.
 */
public final class SecretStore {

    /** What may be shown about a secret version. */
    public record Metadata(
            String name, int version, Instant createdAt, String createdBy, Instant validUntil, String masterKeyId) {
        public boolean active() {
            return validUntil == null;
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    /** Every stored version by name, newest first; a name with a row that does not decrypt maps to why, in {@code broken}. */
    private record Snapshot(Map<String, List<SecretValue>> versions, Map<String, String> broken) {}

    private final Jdbc jdbc;
    private final MasterKey masterKey;
    private final AuditLog audit;
    private final Clock clock;
    private final StateRevisions revisions;
    private volatile Snapshot snapshot;

    public SecretStore(Jdbc jdbc, MasterKey masterKey, AuditLog audit, Clock clock) {
        this.jdbc = jdbc;
        this.masterKey = masterKey;
        this.audit = audit;
        this.clock = clock;
        this.revisions = new StateRevisions(jdbc);
        reload();
    }

    public Optional<SecretValue> current(String name) {
        return valid(name).stream().filter(v -> v.validUntil() == null).findFirst();
    }

    /** Active version first, then earlier versions still inside their overlap. From memory. */
    public List<SecretValue> valid(String name) {
        Snapshot s = snapshot;
        String broken = s.broken().get(name);
        if (broken != null) {
            throw new IllegalStateException(broken);
        }
        Instant now = clock.instant();
        return s.versions().getOrDefault(name, List.of()).stream()
                .filter(v -> v.validUntil() == null || v.validUntil().isAfter(now))
                .toList();
    }

    /** Reads and decrypts every stored version into the snapshot the readers use. */
    public synchronized void reload() {
        var versions = new HashMap<String, List<SecretValue>>();
        var broken = new HashMap<String, String>();
        jdbc.query("select * from secrets order by name, version desc", rs -> {
            String name = rs.getString("name");
            int version = rs.getInt("version");
            if (broken.containsKey(name)) {
                return null;
            }
            try {
                String keyId = rs.getString("master_key_id");
                if (!keyId.equals(masterKey.id())) {
                    throw new IllegalStateException("secret " + name + " v" + version
                            + " was encrypted under master key " + keyId + ", not this gateway's " + masterKey.id());
                }
                versions.computeIfAbsent(name, n -> new ArrayList<>())
                        .add(new SecretValue(
                                name,
                                version,
                                Jdbc.instant(rs, "created_at"),
                                Jdbc.instant(rs, "valid_until"),
                                decrypt(name, version, rs.getBytes("ciphertext"))));
            } catch (IllegalStateException e) {
                broken.put(name, e.getMessage());
                versions.remove(name);
            }
            return null;
        });
        var frozen = new HashMap<String, List<SecretValue>>();
        versions.forEach((name, list) -> frozen.put(name, List.copyOf(list)));
        snapshot = new Snapshot(Map.copyOf(frozen), Map.copyOf(broken));
    }

    /** Deletes the versions past their overlap (readers already leave them out). Admin and rotation paths only. */
    public void deleteExpired() {
        jdbc.update("delete from secrets where valid_until is not null and valid_until <= ?", clock.instant());
    }

    public synchronized SecretValue currentOrCreate(String name, Supplier<byte[]> generate, String actor) {
        var existing = current(name);
        if (existing.isPresent()) {
            return existing.get();
        }
        // Only before a secret's first version exists: another instance may have just made it.
        reload();
        existing = current(name);
        if (existing.isPresent()) {
            return existing.get();
        }
        try {
            return rotate(name, generate, Duration.ZERO, actor);
        } catch (StoreException e) {
            // Another instance sharing the store made version 1 at the same moment: use its.
            reload();
            return current(name).orElseThrow(() -> e);
        }
    }

    /**
     * A new active version; the previous active one stays valid for {@code overlap}. Runs in one
     * transaction, so instances sharing the store never see two active versions.
     */
    public synchronized SecretValue rotate(String name, Supplier<byte[]> generate, Duration overlap, String actor) {
        Instant now = clock.instant();
        byte[] value = generate.get();
        int version = jdbc.transaction(tx -> {
            int next;
            try (var ps = Jdbc.prepare(tx, "select coalesce(max(version), 0) from secrets where name = ?", name);
                    var rs = ps.executeQuery()) {
                rs.next();
                next = rs.getInt(1) + 1;
            }
            try (var retire = Jdbc.prepare(
                            tx,
                            "update secrets set valid_until = ? where name = ? and valid_until is null",
                            now.plus(overlap),
                            name);
                    var ins =
                            Jdbc.prepare(tx, """
                         insert into secrets (name, version, created_at, created_by, valid_until, master_key_id, ciphertext)
                         values (?, ?, ?, ?, null, ?, ?)""", name, next, now, actor, masterKey.id(), encrypt(name, next, value))) {
                retire.executeUpdate();
                ins.executeUpdate();
            }
            revisions.bump(tx, StateRevisions.SECRETS);
            return next;
        });
        deleteExpired();
        reload();
        audit.record(
                actor,
                "secret.rotate",
                name,
                "version " + version + (version > 1 ? ", previous valid for " + overlap : ""));
        return new SecretValue(name, version, now, null, value);
    }

    public List<Metadata> list() {
        deleteExpired();
        return jdbc.query(
                "select name, version, created_at, created_by, valid_until, master_key_id from secrets order by name, version desc",
                rs -> new Metadata(
                        rs.getString("name"),
                        rs.getInt("version"),
                        Jdbc.instant(rs, "created_at"),
                        rs.getString("created_by"),
                        Jdbc.instant(rs, "valid_until"),
                        rs.getString("master_key_id")));
    }

    private byte[] encrypt(String name, int version, byte[] plain) {
        try {
            byte[] nonce = new byte[12];
            RANDOM.nextBytes(nonce);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, masterKey.key(), new GCMParameterSpec(128, nonce));
            c.updateAAD(aad(name, version));
            byte[] ct = c.doFinal(plain);
            return ByteBuffer.allocate(nonce.length + ct.length)
                    .put(nonce)
                    .put(ct)
                    .array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("secret encryption failed for " + name, e);
        }
    }

    private byte[] decrypt(String name, int version, byte[] stored) {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, masterKey.key(), new GCMParameterSpec(128, stored, 0, 12));
            c.updateAAD(aad(name, version));
            return c.doFinal(stored, 12, stored.length - 12);
        } catch (GeneralSecurityException e) {
            // No cause attached: nothing of the key or the plaintext may travel with the exception.
            throw new IllegalStateException(
                    "secret " + name + " v" + version + " does not decrypt (tampered, or another master key)");
        }
    }

    private static byte[] aad(String name, int version) {
        return ("opencmg-secret:" + name + ":" + version).getBytes(StandardCharsets.UTF_8);
    }
}
