package org.opencmg.server.store;

import org.opencmg.api.Jdbc;
import java.nio.file.Path;
import org.opencmg.server.config.GatewayConfig;

/** A real H2 file store in a test folder, with every repository on it. */
final class Store implements AutoCloseable {

    final Database database;
    final Jdbc jdbc;
    final StateRevisions revisions;
    final EndpointStore endpoints;
    final SettingsStore settings;
    final ClientTrustStore trust;

    private Store(Database database) {
        this.database = database;
        this.jdbc = new Jdbc(database.dataSource());
        this.revisions = new StateRevisions(jdbc);
        this.endpoints = new EndpointStore(jdbc, revisions);
        this.settings = new SettingsStore(jdbc, revisions);
        this.trust = new ClientTrustStore(jdbc, revisions);
    }

    static Store open(Path dir) {
        return new Store(Database.open(new GatewayConfig.Database("jdbc:h2:file:" + dir.resolve("cmg"), "cmg", null, null, 4)));
    }

    LiveState liveState() {
        return new LiveState(revisions, endpoints, trust, settings, new ConnectionPointStore(jdbc, revisions));
    }

    @Override
    public void close() {
        database.close();
    }
}
