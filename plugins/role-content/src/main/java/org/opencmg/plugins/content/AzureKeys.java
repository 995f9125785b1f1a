package org.opencmg.plugins.content;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.opencmg.api.Jdbc;
import org.opencmg.api.SecretValue;
import org.opencmg.api.Secrets;

/**
 * The Azure storage account's key pair. Azure gives an account two keys so that one can be
 * regenerated while the other signs: here the administrator stores both (secrets azure-key1 and
 * azure-key2), one slot is active (signs SAS URLs, authenticates the gateway's own calls), and a
 * rotation moves signing to the other slot. The retired key is still needed by every URL it signed
 * until that URL expires, so it may be regenerated in Azure only after {@code signs_until}; storing
 * a new value for it earlier is refused unless forced.
 *
 * <p>The slot rows are read into memory ({@link #reload()}, after each local change and when the
 * content revision moves), so signing on the request path never reads the store.
 */
final class AzureKeys {

    /** A slot as the admin API shows it; never the key. */
    record Slot(
            int slot,
            boolean present,
            boolean active,
            Instant keySetAt,
            Instant activatedAt,
            Instant retiredAt,
            Instant signsUntil) {}

    /** The signing key: its slot and value (the base64 text Azure shows). */
    record Active(int slot, int secretVersion, String base64Key) {
        @Override
        public String toString() {
            return "Active[key" + slot + " v" + secretVersion + ", value hidden]";
        }
    }

    /** A refused key operation: its message is for the administrator (no key material in it). */
    static final class Refused extends RuntimeException {
        final int status;

        Refused(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    /** The rows of content_key_slots by slot (1, 2): activated_at, retired_at, signs_until; null if none. */
    private record Rows(Instant[] slot1, Instant[] slot2) {
        Instant[] of(int slot) {
            Instant[] row = slot == 1 ? slot1 : slot2;
            return row == null ? new Instant[3] : row;
        }
    }

    private final Secrets secrets;
    private final Jdbc jdbc;
    private final ReentrantLock rotation = new ReentrantLock();
    private volatile Rows rows = new Rows(null, null);

    AzureKeys(Secrets secrets, Jdbc jdbc) {
        this.secrets = secrets;
        this.jdbc = jdbc;
    }

    /** Reads the slot rows into memory. */
    void reload() {
        Instant[][] read = new Instant[3][];
        jdbc.query(
                "select slot, activated_at, retired_at, signs_until from content_key_slots",
                rs -> read[rs.getInt(1)] = new Instant[] {
                    Jdbc.instant(rs, "activated_at"), Jdbc.instant(rs, "retired_at"), Jdbc.instant(rs, "signs_until")
                });
        rows = new Rows(read[1], read[2]);
    }

    static String secretName(int slot) {
        return "azure-key" + slot;
    }

    /** The key that signs now, if any slot holds one. */
    Optional<Active> active() {
        Integer slot = activeSlot();
        if (slot == null) {
            return Optional.empty();
        }
        return secrets.current(secretName(slot))
                .map(v -> new Active(slot, v.version(), Base64.getEncoder().encodeToString(v.bytes())));
    }

    /**
     * Stores the value of key1 or key2 (base64, as the Azure portal or {@code az storage account keys list}
     * shows it). The first key stored becomes the active one. Replacing the active key, or a retired key
     * whose URLs have not all expired, is refused unless {@code force}: it means that key was
     * regenerated in Azure, which breaks every URL it signed.
     */
    void set(int slot, String base64Key, boolean force, Instant now, String actor) {
        if (slot != 1 && slot != 2) {
            throw new Refused(400, "slot must be 1 or 2");
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(base64Key.strip());
        } catch (IllegalArgumentException e) {
            throw new Refused(400, "the key is not base64 (copy key1 or key2 as Azure shows it)");
        }
        if (key.length < 32) {
            throw new Refused(400, "the key is too short to be a storage account key (" + key.length + " bytes)");
        }
        Slot current = slots(now).get(slot - 1);
        if (!force && current.present()) {
            if (current.active()) {
                throw new Refused(
                        409,
                        "key" + slot + " signs content URLs now: rotate first (cmg content rotate-key), "
                                + "then regenerate it in Azure after the URLs it signed have expired");
            }
            if (current.signsUntil() != null && current.signsUntil().isAfter(now)) {
                throw new Refused(
                        409,
                        "key" + slot + " signed URLs that are valid until " + current.signsUntil()
                                + ": regenerate it in Azure only after that (or force)");
            }
        }
        String name = secretName(slot);
        if (secrets.current(name).isEmpty()) {
            secrets.currentOrCreate(name, () -> key);
        } else {
            secrets.rotate(name, () -> key, Duration.ZERO, actor);
        }
        if (activeSlot() == null) {
            activate(slot, null, now, null);
        }
    }

    /**
     * Moves signing to the other slot. The retired slot's URLs stay valid at Azure as long as its key
     * is not regenerated: that is allowed after now + {@code urlLifetime} + 5 minutes.
     */
    Active rotate(Duration urlLifetime, Instant now) {
        rotation.lock();
        try {
            Integer from = activeSlot();
            if (from == null) {
                throw new Refused(409, "no storage account key is stored (cmg content azure-key --slot 1 ...)");
            }
            int to = 3 - from;
            if (secrets.current(secretName(to)).isEmpty()) {
                throw new Refused(
                        409,
                        "key" + to + " is not stored: store both keys to rotate (cmg content azure-key --slot " + to
                                + " ...)");
            }
            activate(to, from, now, now.plus(urlLifetime).plus(UrlSigner.OVERLAP_MARGIN));
            return active().orElseThrow();
        } finally {
            rotation.unlock();
        }
    }

    /** Rotates (once, even when called concurrently) if the active slot has signed for longer than {@code maxAge}. */
    Optional<Active> rotateIfOlder(Duration maxAge, Duration urlLifetime, Instant now) {
        Slot active = slots(now).stream().filter(Slot::active).findFirst().orElse(null);
        if (active == null
                || active.activatedAt() == null
                || active.activatedAt().plus(maxAge).isAfter(now)) {
            return Optional.empty();
        }
        rotation.lock();
        try {
            active = slots(now).stream().filter(Slot::active).findFirst().orElse(null);
            if (active == null
                    || active.activatedAt().plus(maxAge).isAfter(now)
                    || secrets.current(secretName(3 - active.slot())).isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(rotate(urlLifetime, now));
        } finally {
            rotation.unlock();
        }
    }

    /** Both slots, key1 first (from memory). */
    List<Slot> slots(Instant now) {
        Rows rows = this.rows;
        var out = new ArrayList<Slot>();
        for (int s = 1; s <= 2; s++) {
            Optional<SecretValue> v = secrets.current(secretName(s));
            Instant[] row = rows.of(s);
            boolean active = row[0] != null && row[1] == null && v.isPresent();
            out.add(new Slot(
                    s, v.isPresent(), active, v.map(SecretValue::createdAt).orElse(null), row[0], row[1], row[2]));
        }
        return out;
    }

    /** The slot activated last and not retired, or null. */
    private Integer activeSlot() {
        Rows rows = this.rows;
        Integer active = null;
        for (int s = 1; s <= 2; s++) {
            Instant[] row = rows.of(s);
            if (row[0] != null && row[1] == null && (active == null || row[0].isAfter(rows.of(active)[0]))) {
                active = s;
            }
        }
        return active;
    }

    /** One transaction: {@code to} signs from now; {@code from} (if any) is retired with its URLs valid until {@code until}. */
    private void activate(int to, Integer from, Instant now, Instant until) {
        jdbc.transaction(c -> {
            upsert(c, to, now, null, null);
            if (from != null) {
                upsert(c, from, null, now, until);
            }
            ContentRevision.bump(c);
            return null;
        });
        reload();
    }

    private static void upsert(Connection c, int slot, Instant activated, Instant retired, Instant until)
            throws SQLException {
        try (var del = Jdbc.prepare(c, "delete from content_key_slots where slot = ?", slot);
                var ins = Jdbc.prepare(
                        c,
                        "insert into content_key_slots (slot, activated_at, retired_at, signs_until) values (?, ?, ?, ?)",
                        slot,
                        activated,
                        retired,
                        until)) {
            del.executeUpdate();
            ins.executeUpdate();
        }
    }
}
