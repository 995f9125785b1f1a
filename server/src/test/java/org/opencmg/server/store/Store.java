package org.opencmg.server.store;

import java.nio.file.Path;
import org.opencmg.api.Jdbc;
import org.opencmg.server.config.GatewayConfig;

/** A real H2 file store in a test folder, with every repository on it. */
public final class Store implements AutoCloseable {

    public final Database database;
    public final Jdbc jdbc;
    public final StateRevisions revisions;
    public final EndpointStore endpoints;
    public final SettingsStore settings;
    public final ClientTrustStore trust;

    private Store(Database database) {
        this.database = database;
        this.jdbc = new Jdbc(database.dataSource());
        this.revisions = new StateRevisions(jdbc);
        this.endpoints = new EndpointStore(jdbc, revisions);
        this.settings = new SettingsStore(jdbc, revisions);
        this.trust = new ClientTrustStore(jdbc, revisions);
    }

    public static Store open(Path dir) {
        return new Store(
                Database.open(new GatewayConfig.Database("jdbc:h2:file:" + dir.resolve("cmg"), "cmg", null, null, 4)));
    }

    @Override
    public void close() {
        database.close();
    }
}
