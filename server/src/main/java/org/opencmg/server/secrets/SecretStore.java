package org.opencmg.server.secrets;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import org.opencmg.api.AuditLog;
import org.opencmg.api.SecretValue;
import org.opencmg.server.store.Jdbc;

/**
 * Secrets encrypted with AES-256-GCM under the {@link MasterKey} (table secrets). Each secret has
 * versions: one active, earlier ones valid until the end of their overlap period, then deleted.
 * The ciphertext is bound to its name and version, so rows cannot be swapped. Only metadata ever
 * leaves this class except through {@link SecretValue}, whose toString hides the value.
 */
public final class SecretStore {

    /** What may be shown about a secret version. */
    public record Metadata(String name, int version, Instant createdAt, String createdBy, Instant validUntil,
                           String masterKeyId) {
        public boolean active() {
            return validUntil == null;
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Jdbc jdbc;
    private final MasterKey masterKey;
    private final AuditLog audit;
    private final Clock clock;

    public SecretStore(Jdbc jdbc, MasterKey masterKey, AuditLog audit, Clock clock) {
        this.jdbc = jdbc;
        this.masterKey = masterKey;
        this.audit = audit;
        this.clock = clock;
    }

    public Optional<SecretValue> current(String name) {
        return valid(name).stream().filter(v -> v.validUntil() == null).findFirst();
    }

    /** Active version first, then earlier versions still inside their overlap. Expired ones are deleted. */
    public List<SecretValue> valid(String name) {
        Instant now = clock.instant();
        jdbc.update("delete from secrets where name = ? and valid_until is not null and valid_until <= ?", name, now);
        var out = new ArrayList<SecretValue>();
        jdbc.query("select * from secrets where name = ? order by version desc", rs -> {
            String keyId = rs.getString("master_key_id");
            if (!keyId.equals(masterKey.id())) {
                throw new IllegalStateException("secret " + name + " v" + rs.getInt("version")
                        + " was encrypted under master key " + keyId + ", not this gateway's " + masterKey.id());
            }
            int version = rs.getInt("version");
            out.add(new SecretValue(name, version, Jdbc.instant(rs, "created_at"), Jdbc.instant(rs, "valid_until"),
                    decrypt(name, version, rs.getBytes("ciphertext"))));
            return null;
        }, name);
        return out;
    }

    public synchronized SecretValue currentOrCreate(String name, Supplier<byte[]> generate, String actor) {
        var existing = current(name);
        if (existing.isPresent()) {
            return existing.get();
        }
        try {
            return rotate(name, generate, Duration.ZERO, actor);
        } catch (org.opencmg.server.store.StoreException e) {
            // Another instance sharing the store made version 1 at the same moment: use its.
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
            try (var retire = Jdbc.prepare(tx, "update secrets set valid_until = ? where name = ? and valid_until is null",
                    now.plus(overlap), name);
                 var ins = Jdbc.prepare(tx, """
                         insert into secrets (name, version, created_at, created_by, valid_until, master_key_id, ciphertext)
                         values (?, ?, ?, ?, null, ?, ?)""", name, next, now, actor, masterKey.id(),
                         encrypt(name, next, value))) {
                retire.executeUpdate();
                ins.executeUpdate();
            }
            return next;
        });
        audit.record(actor, "secret.rotate", name, "version " + version + (version > 1 ? ", previous valid for " + overlap : ""));
        return new SecretValue(name, version, now, null, value);
    }

    public List<Metadata> list() {
        Instant now = clock.instant();
        jdbc.update("delete from secrets where valid_until is not null and valid_until <= ?", now);
        return jdbc.query("select name, version, created_at, created_by, valid_until, master_key_id from secrets order by name, version desc",
                rs -> new Metadata(rs.getString("name"), rs.getInt("version"), Jdbc.instant(rs, "created_at"),
                        rs.getString("created_by"), Jdbc.instant(rs, "valid_until"), rs.getString("master_key_id")));
    }

    private byte[] encrypt(String name, int version, byte[] plain) {
        try {
            byte[] nonce = new byte[12];
            RANDOM.nextBytes(nonce);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, masterKey.key(), new GCMParameterSpec(128, nonce));
            c.updateAAD(aad(name, version));
            byte[] ct = c.doFinal(plain);
            return ByteBuffer.allocate(nonce.length + ct.length).put(nonce).put(ct).array();
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
            throw new IllegalStateException("secret " + name + " v" + version + " does not decrypt (tampered, or another master key)");
        }
    }

    private static byte[] aad(String name, int version) {
        return ("opencmg-secret:" + name + ":" + version).getBytes(StandardCharsets.UTF_8);
    }
}
