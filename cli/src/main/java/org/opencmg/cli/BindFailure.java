package org.opencmg.cli;

import java.net.BindException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.opencmg.server.config.GatewayConfig;

/**
 * A connector that cannot listen on its port, said in the operator's terms: which connector, which
 * key of gateway.yaml, and what to do. Jetty reports it as "Failed to bind to /0.0.0.0:443" caused by
 * {@code java.net.BindException: Permission denied}, which says nothing of the capability.
 */
final class BindFailure {

    private static final Pattern PORT = Pattern.compile(":(\\d{1,5})\\b");

    private BindFailure() {}

    /** The explanation of {@code failure} if it is a failed bind of one of {@code config}'s connectors. */
    static Optional<String> explain(Throwable failure, GatewayConfig config) {
        BindException bind = null;
        Integer port = null;
        for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof BindException b && bind == null) {
                bind = b;
            }
            if (port == null && t.getMessage() != null) {
                var m = PORT.matcher(t.getMessage());
                while (m.find()) {
                    port = Integer.valueOf(m.group(1));
                }
            }
        }
        if (bind == null) {
            return Optional.empty();
        }
        String reason = String.valueOf(bind.getMessage()).toLowerCase(Locale.ROOT);
        boolean denied = reason.contains("permission denied")
                || reason.contains("access denied")
                || reason.contains("operation not permitted");
        String connector = connector(config, port, denied);
        int p = port != null ? port : portOf(config, connector);
        String key = connector + ".port";
        if (denied && p < 1024) {
            return Optional.of(
                    "the " + connector + " connector cannot listen on port " + p + " (" + key + "): ports below 1024 "
                            + "need root or the CAP_NET_BIND_SERVICE capability. Run it from the release archive's systemd unit "
                            + "(AmbientCapabilities=CAP_NET_BIND_SERVICE), grant the capability to the Java runtime "
                            + "(setcap cap_net_bind_service=+ep \"$JAVA_HOME/bin/java\"), or choose a port of 1024 or above in "
                            + key);
        }
        if (reason.contains("in use")) {
            return Optional.of(
                    "the " + connector + " connector cannot listen on port " + p + " (" + key + "): another process "
                            + "holds it (another gateway instance? instances on one host share only the client port, with "
                            + "client.reuse-port: true; each needs its own channel and admin port)");
        }
        return Optional.of(
                "the " + connector + " connector cannot listen on port " + p + " (" + key + "): " + bind.getMessage());
    }

    /** The connector whose configured port the failure names; else, for a refusal, one below 1024. */
    private static String connector(GatewayConfig config, Integer port, boolean denied) {
        if (port != null) {
            if (port == config.client().port()) {
                return "client";
            }
            if (port == config.channel().port()) {
                return "channel";
            }
            if (port == config.admin().port()) {
                return "admin";
            }
        }
        if (denied) {
            for (String c : new String[] {"client", "channel", "admin"}) {
                int p = portOf(config, c);
                if (p > 0 && p < 1024) {
                    return c;
                }
            }
        }
        return "client";
    }

    private static int portOf(GatewayConfig config, String connector) {
        return switch (connector) {
            case "channel" -> config.channel().port();
            case "admin" -> config.admin().port();
            default -> config.client().port();
        };
    }
}
