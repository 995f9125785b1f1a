package org.opencmg.server.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.opencmg.api.Jdbc;

/** Administrator settings (table settings), checked against the {@link SettingsCatalog}. */
public final class SettingsStore {

    public record Value(String name, String value, boolean isDefault, String description) {}

    private final Jdbc jdbc;
    private final StateRevisions revisions;
    private final SettingsCatalog catalog = new SettingsCatalog();

    public SettingsStore(Jdbc jdbc, StateRevisions revisions) {
        this.jdbc = jdbc;
        this.revisions = revisions;
    }

    /** What settings exist: the gateway's own and those its plugins declared. */
    public SettingsCatalog catalog() {
        return catalog;
    }

    /** Stored values merged over the catalog defaults. */
    public Map<String, String> effective() {
        var out = new LinkedHashMap<String, String>();
        catalog.all().forEach(d -> out.put(d.name(), d.defaultValue()));
        jdbc.query("select name, setting_value from settings", rs -> out.put(rs.getString(1), rs.getString(2)));
        return out;
    }

    public List<Value> list() {
        var stored = new LinkedHashMap<String, String>();
        jdbc.query("select name, setting_value from settings", rs -> stored.put(rs.getString(1), rs.getString(2)));
        return catalog.all().stream()
                .map(d -> new Value(
                        d.name(),
                        stored.getOrDefault(d.name(), d.defaultValue()),
                        !stored.containsKey(d.name()),
                        d.description()))
                .toList();
    }

    public Optional<Value> get(String name) {
        return list().stream().filter(v -> v.name().equals(name)).findFirst();
    }

    /** Validates against the catalog (IllegalArgumentException if unknown or malformed), then stores. */
    public String set(String name, String value, String actor, Instant now) {
        return jdbc.transaction(tx -> set(tx, name, value, actor, now));
    }

    /** As {@link #set(String, String, String, Instant)}, in the caller's transaction; returns the stored form. */
    public String set(Connection tx, String name, String value, String actor, Instant now) throws SQLException {
        String canonical = catalog.find(name)
                .orElseThrow(() ->
                        new IllegalArgumentException("unknown setting: " + name + " (known: " + catalog.names() + ")"))
                .canonical(value);
        try (var del = Jdbc.prepare(tx, "delete from settings where name = ?", name);
                var ins = Jdbc.prepare(
                        tx,
                        "insert into settings (name, setting_value, updated_at, updated_by) values (?, ?, ?, ?)",
                        name,
                        canonical,
                        now,
                        actor)) {
            del.executeUpdate();
            ins.executeUpdate();
        }
        revisions.bump(tx, StateRevisions.SETTINGS);
        return canonical;
    }
}
