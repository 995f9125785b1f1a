package org.opencmg.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.opencmg.server.config.GatewayConfig;

/** The shared store: a pooled JDBC data source whose schema Flyway keeps current. */
public final class Database implements AutoCloseable {

    private final HikariDataSource dataSource;

    private Database(HikariDataSource dataSource) {
        this.dataSource = dataSource;
    }

    public static Database open(GatewayConfig.Database config) {
        var hikari = new HikariConfig();
        hikari.setJdbcUrl(jdbcUrl(config.url()));
        hikari.setUsername(config.user());
        hikari.setPassword(password(config));
        hikari.setMaximumPoolSize(config.poolSize());
        hikari.setPoolName("cmg-store");
        var ds = new HikariDataSource(hikari);
        try {
            Flyway.configure()
                    .dataSource(ds)
                    .locations("classpath:db/migration")
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
        return new Database(ds);
    }

    /** The pool's series (hikaricp_connections_active, _idle, _pending, _timeout_total, ...{pool="cmg-store"}) in {@code meters}. */
    public void meterPool(MeterRegistry meters) {
        dataSource.setMetricRegistry(meters);
    }

    /** The store's password: from its environment variable, else its file, else none. */
    public static String password(GatewayConfig.Database config) {
        String fromEnv = config.passwordEnv() == null ? null : System.getenv(config.passwordEnv());
        if (fromEnv != null) {
            return fromEnv;
        }
        if (config.passwordFile() != null) {
            try {
                return Files.readString(config.passwordFile(), StandardCharsets.UTF_8)
                        .strip();
            } catch (IOException e) {
                throw new IllegalStateException(
                        "cannot read database.password-file " + config.passwordFile() + ": " + e.getMessage());
            }
        }
        return null;
    }

    /** H2 speaks our PostgreSQL-dialect migrations in its PostgreSQL mode. */
    public static String jdbcUrl(String url) {
        if (url.startsWith("jdbc:h2:") && !url.toUpperCase().contains("MODE=")) {
            return url + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH";
        }
        return url;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public Connection connection() throws SQLException {
        return dataSource.getConnection();
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
