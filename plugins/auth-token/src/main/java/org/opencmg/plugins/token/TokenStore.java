package org.opencmg.plugins.token;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.opencmg.api.Jdbc;
import org.opencmg.api.StoreException;

/**
 * The plugin's tables (its own migration, db/auth-token): bulk registration tokens by ID (never
 * the token itself) and registered devices. Every read goes to the shared store, so a block made
 * on one gateway instance holds on every instance at once.
 */
final class TokenStore {

    /** @param maxRegistrations how many new devices it may register, null for no limit; {@code registrations} so far */
    record BulkToken(
            String id,
            Instant issuedAt,
            Instant notBefore,
            Instant expiresAt,
            String issuedBy,
            boolean blocked,
            Instant blockedAt,
            String blockedBy,
            Integer maxRegistrations,
            int registrations) {}

    record RegisteredDevice(
            String id,
            String name,
            String publicKeyPem,
            Instant registeredAt,
            String bulkTokenId,
            Instant lastIssuedAt,
            boolean blocked,
            Instant blockedAt,
            String blockedBy) {

        /** A device as it registers: not blocked. */
        RegisteredDevice(
                String id,
                String name,
                String publicKeyPem,
                Instant registeredAt,
                String bulkTokenId,
                Instant lastIssuedAt) {
            this(id, name, publicKeyPem, registeredAt, bulkTokenId, lastIssuedAt, false, null, null);
        }
    }

    /** A device whose tokens are refused: blocked (all of them) or deleted (those issued up to {@code at}). */
    record Revocation(String deviceId, boolean blocked, Instant at) {}

    private final Jdbc jdbc;

    TokenStore(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    void addBulk(BulkToken t) {
        jdbc.update("""
                insert into token_bulk (id, issued_at, not_before, expires_at, issued_by, blocked, max_registrations)
                values (?, ?, ?, ?, ?, false, ?)""", t.id(), t.issuedAt(), t.notBefore(), t.expiresAt(), t.issuedBy(), t.maxRegistrations());
    }

    Optional<BulkToken> bulk(String id) {
        return jdbc.query("select * from token_bulk where id = ?", TokenStore::bulkRow, id).stream()
                .findFirst();
    }

    List<BulkToken> bulkTokens() {
        return jdbc.query("select * from token_bulk order by issued_at desc, id", TokenStore::bulkRow);
    }

    /** @return false if there is no bulk token with this ID */
    boolean setBlocked(String id, boolean blocked, Instant at, String actor) {
        return jdbc.update(
                        "update token_bulk set blocked = ?, blocked_at = ?, blocked_by = ? where id = ?",
                        blocked,
                        blocked ? at : null,
                        blocked ? actor : null,
                        id)
                > 0;
    }

    /** What a registration did: made a new row, found the key already registered (left as it was), or found the bulk token used up. */
    record Registration(RegisteredDevice device, Outcome outcome) {
        enum Outcome {
            CREATED,
            EXISTING,
            LIMIT_REACHED
        }

        boolean created() {
            return outcome == Outcome.CREATED;
        }
    }

    /**
     * Registers a device unless its key is registered already. An existing row is never changed
     * here: a bulk token must not rename a device nor move it to another bulk token. A new device
     * counts against its bulk token's maximum in the same transaction, so concurrent registrations
     * on several instances never exceed it.
     */
    Registration registerDevice(RegisteredDevice d) {
        var existing = device(d.id());
        if (existing.isPresent()) {
            return new Registration(existing.get(), Registration.Outcome.EXISTING);
        }
        try {
            return jdbc.transaction(c -> {
                try (var count = Jdbc.prepare(c, """
                        update token_bulk set registrations = registrations + 1
                        where id = ? and (max_registrations is null or registrations < max_registrations)""", d.bulkTokenId());
                        var insert = Jdbc.prepare(
                                c,
                                """
                        insert into token_devices (id, name, public_key, registered_at, bulk_token_id, last_issued_at)
                        values (?, ?, ?, ?, ?, ?)""",
                                d.id(),
                                d.name(),
                                d.publicKeyPem(),
                                d.registeredAt(),
                                d.bulkTokenId(),
                                d.lastIssuedAt())) {
                    if (count.executeUpdate() == 0) {
                        return new Registration(null, Registration.Outcome.LIMIT_REACHED); // nothing was changed
                    }
                    insert.executeUpdate();
                    return new Registration(d, Registration.Outcome.CREATED);
                }
            });
        } catch (StoreException e) {
            // Registered concurrently by another request or instance: that row stands, and nothing was counted.
            var concurrent = device(d.id());
            if (concurrent.isPresent()) {
                return new Registration(concurrent.get(), Registration.Outcome.EXISTING);
            }
            throw e;
        }
    }

    Optional<RegisteredDevice> device(String id) {
        return jdbc.query("select * from token_devices where id = ?", TokenStore::deviceRow, id).stream()
                .findFirst();
    }

    List<RegisteredDevice> devices() {
        return jdbc.query("select * from token_devices order by registered_at desc, id", TokenStore::deviceRow);
    }

    /** One page of {@link #devices()}: at most {@code limit}, after skipping {@code offset}. */
    List<RegisteredDevice> devices(int limit, int offset) {
        return jdbc.query(
                "select * from token_devices order by registered_at desc, id limit ? offset ?",
                TokenStore::deviceRow,
                limit,
                offset);
    }

    int deviceCount() {
        return jdbc.query("select count(*) from token_devices", rs -> rs.getInt(1))
                .getFirst();
    }

    void touchDevice(String id, Instant at) {
        jdbc.update("update token_devices set last_issued_at = ? where id = ?", at, id);
    }

    /** @return false if there is no device with this ID */
    boolean setDeviceBlocked(String id, boolean blocked, Instant at, String actor) {
        return jdbc.update(
                        "update token_devices set blocked = ?, blocked_at = ?, blocked_by = ? where id = ?",
                        blocked,
                        blocked ? at : null,
                        blocked ? actor : null,
                        id)
                > 0;
    }

    /**
     * Deletes a device and records when, so that its live access tokens are refused too; deletions
     * older than {@code forgetBefore} (no token of theirs can be alive) are dropped on the way.
     *
     * @return false if there is no device with this ID
     */
    boolean deleteDevice(String id, Instant at, String actor, Instant forgetBefore) {
        return jdbc.transaction(c -> {
            try (var del = Jdbc.prepare(c, "delete from token_devices where id = ?", id);
                    var forget = Jdbc.prepare(
                            c,
                            "delete from token_device_deletions where device_id = ? or deleted_at < ?",
                            id,
                            forgetBefore);
                    var ins = Jdbc.prepare(
                            c,
                            "insert into token_device_deletions (device_id, deleted_at, deleted_by) values (?, ?, ?)",
                            id,
                            at,
                            actor)) {
                if (del.executeUpdate() == 0) {
                    return false; // nothing was changed
                }
                forget.executeUpdate();
                ins.executeUpdate();
                return true;
            }
        });
    }

    /** Blocked devices, and devices deleted since {@code deletedSince}. */
    List<Revocation> revocations(Instant deletedSince) {
        var out = new ArrayList<>(jdbc.query(
                "select id, blocked_at from token_devices where blocked",
                rs -> new Revocation(rs.getString("id").strip(), true, Jdbc.instant(rs, "blocked_at"))));
        out.addAll(jdbc.query(
                "select device_id, deleted_at from token_device_deletions where deleted_at >= ?",
                rs -> new Revocation(rs.getString("device_id").strip(), false, Jdbc.instant(rs, "deleted_at")),
                deletedSince));
        return out;
    }

    private static BulkToken bulkRow(ResultSet rs) throws SQLException {
        return new BulkToken(
                rs.getString("id"),
                Jdbc.instant(rs, "issued_at"),
                Jdbc.instant(rs, "not_before"),
                Jdbc.instant(rs, "expires_at"),
                rs.getString("issued_by"),
                rs.getBoolean("blocked"),
                Jdbc.instant(rs, "blocked_at"),
                rs.getString("blocked_by"),
                (Integer) rs.getObject("max_registrations", Integer.class),
                rs.getInt("registrations"));
    }

    private static RegisteredDevice deviceRow(ResultSet rs) throws SQLException {
        return new RegisteredDevice(
                rs.getString("id").strip(),
                rs.getString("name"),
                rs.getString("public_key"),
                Jdbc.instant(rs, "registered_at"),
                rs.getString("bulk_token_id"),
                Jdbc.instant(rs, "last_issued_at"),
                rs.getBoolean("blocked"),
                Jdbc.instant(rs, "blocked_at"),
                rs.getString("blocked_by"));
    }
}
