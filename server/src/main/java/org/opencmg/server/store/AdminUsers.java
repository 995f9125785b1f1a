package org.opencmg.server.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.opencmg.api.Jdbc;

/** Administrator accounts (table admin_users); only password hashes are stored. */
public final class AdminUsers {

    private final Jdbc jdbc;

    public AdminUsers(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    public boolean isEmpty() {
        return jdbc.query("select count(*) from admin_users", rs -> rs.getLong(1))
                        .getFirst()
                == 0;
    }

    public Optional<String> passwordHash(String user) {
        return jdbc.query("select password_hash from admin_users where name = ?", rs -> rs.getString(1), user).stream()
                .findFirst();
    }

    public void put(String user, String passwordHash, Instant now) {
        jdbc.transaction(tx -> {
            try (var del = Jdbc.prepare(tx, "delete from admin_users where name = ?", user);
                    var ins = Jdbc.prepare(
                            tx,
                            "insert into admin_users (name, password_hash, created_at) values (?, ?, ?)",
                            user,
                            passwordHash,
                            now)) {
                del.executeUpdate();
                ins.executeUpdate();
            }
            return null;
        });
    }

    public List<String> names() {
        return jdbc.query("select name from admin_users order by name", rs -> rs.getString(1));
    }
}
