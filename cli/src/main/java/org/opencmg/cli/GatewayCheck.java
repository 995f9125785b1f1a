package org.opencmg.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import org.opencmg.pki.KeyMaterial;
import org.opencmg.server.config.GatewayConfig;
import org.opencmg.server.store.Database;
import org.pf4j.DefaultPluginManager;

/**
 * {@code cmg gateway --check}, as {@code nginx -t}: reads everything a start would read and says
 * what is wrong before anything listens or is written: each connector's certificate and key (and
 * that they belong together), the store (reached, not migrated), the plugins (loaded, not started).
 */
public final class GatewayCheck {

    /** One line per check; {@code ok} false when any failed. */
    public record Report(List<String> lines, boolean ok) {}

    private GatewayCheck() {}

    public static Report run(GatewayConfig config) {
        var lines = new ArrayList<String>();
        boolean ok = keys("client", config.client(), lines);
        ok &= keys("channel", config.channel(), lines);
        ok &= keys("admin", config.admin(), lines);
        ok &= store(config.database(), lines);
        ok &= plugins(config, lines);
        return new Report(List.copyOf(lines), ok);
    }

    /**
     * What {@code cmg gateway} does first: reads each connector's certificate and key and proves they
     * belong together, so that a wrong file stops the start before anything is created on disk
     * (data-dir, the H2 file, the master key, the initial admin password).
     *
     * @throws IllegalStateException naming the connector and the files, for the operator
     */
    public static void requireKeys(GatewayConfig config) {
        var lines = new ArrayList<String>();
        boolean ok = keys("client", config.client(), lines);
        ok &= keys("channel", config.channel(), lines);
        ok &= keys("admin", config.admin(), lines);
        if (!ok) {
            throw new IllegalStateException(String.join(
                            "; ",
                            lines.stream()
                                    .filter(l -> l.startsWith("FAIL "))
                                    .map(l -> l.substring("FAIL ".length()))
                                    .toList())
                    + " (nothing was started or written)");
        }
    }

    private static boolean keys(String connector, GatewayConfig.Listener listener, List<String> lines) {
        try {
            KeyMaterial keys = KeyMaterial.read(listener.certificate(), listener.key());
            var leaf = keys.leaf();
            if (!keys.belongTogether()) {
                lines.add("FAIL " + connector + " connector: " + listener.key() + " is not the key of "
                        + listener.certificate());
                return false;
            }
            lines.add("ok   " + connector + " connector: "
                    + leaf.getSubjectX500Principal().getName() + ", valid until "
                    + leaf.getNotAfter().toInstant());
            return true;
        } catch (Exception e) {
            lines.add("FAIL " + connector + " connector: " + e.getMessage());
            return false;
        }
    }

    private static boolean store(GatewayConfig.Database database, List<String> lines) {
        String url = Database.jdbcUrl(database.url());
        // An embedded store that does not exist yet is made on the first start; a check makes nothing.
        if (url.startsWith("jdbc:h2:file:")
                && !Files.exists(Path.of(url.substring("jdbc:h2:file:".length()).split(";")[0] + ".mv.db"))) {
            lines.add("ok   store: " + database.url() + " does not exist yet; the first start creates it");
            return true;
        }
        try (var connection = DriverManager.getConnection(
                        url + (url.startsWith("jdbc:h2:") ? ";IFEXISTS=TRUE" : ""),
                        database.user(),
                        Database.password(database));
                var statement = connection.createStatement()) {
            statement.execute("select 1");
            lines.add("ok   store: " + database.url() + " answers");
            return true;
        } catch (Exception e) {
            lines.add("FAIL store: " + database.url() + ": " + e.getMessage());
            return false;
        }
    }

    private static boolean plugins(GatewayConfig config, List<String> lines) {
        if (!Files.isDirectory(config.pluginsDir())) {
            lines.add("FAIL plugins: " + config.pluginsDir() + " is not a folder");
            return false;
        }
        var manager = new DefaultPluginManager(config.pluginsDir());
        try {
            manager.loadPlugins();
            var loaded = manager.getPlugins().stream()
                    .map(p -> p.getPluginId())
                    .sorted()
                    .toList();
            var unresolved = manager.getUnresolvedPlugins().stream()
                    .map(p -> p.getPluginId())
                    .sorted()
                    .toList();
            if (!unresolved.isEmpty()) {
                lines.add("FAIL plugins: cannot resolve " + String.join(", ", unresolved));
                return false;
            }
            lines.add("ok   plugins in " + config.pluginsDir() + ": "
                    + (loaded.isEmpty() ? "none" : String.join(", ", loaded)));
            return true;
        } catch (RuntimeException e) {
            lines.add("FAIL plugins: " + e.getMessage());
            return false;
        } finally {
            manager.unloadPlugins();
        }
    }
}
