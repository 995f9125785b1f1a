package org.opencmg.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.concurrent.Callable;
import org.opencmg.cli.client.AdminClient;
import org.opencmg.connectionpoint.ConnectionPoint;
import org.opencmg.connectionpoint.ConnectionPointConfig;
import org.opencmg.server.config.ConfigFile;
import org.opencmg.server.json.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "connection-point",
        description = {"Run a connection point (--config FILE), or manage the gateway's registrations of them."},
        subcommands = {
            ConnectionPointCommand.Register.class,
            ConnectionPointCommand.ListPoints.class,
            ConnectionPointCommand.Unregister.class
        })
final class ConnectionPointCommand implements Callable<Integer> {

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "connection-point.yaml: run the connection point in the foreground "
                    + "(SIGTERM stops it; SIGHUP reloads its certificates and keys, as changes of their files do).")
    Path config;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (config == null) {
            spec.commandLine().usage(spec.commandLine().getErr());
            return 2;
        }
        ConnectionPoint cp = ConnectionPoint.start(ConfigFile.load(config, ConnectionPointConfig::load));
        return Foreground.runUntilStopped(() -> {}, cp::reloadCertificates, cp);
    }

    @Command(
            name = "register",
            description = "Allow a connection point (its certificate + connection ID) to serve a site.")
    static final class Register extends AdminCall {
        @Option(names = "--name", required = true, description = "Its name, as in its connection-point.yaml (name:).")
        String name;

        @Option(
                names = "--site",
                required = true,
                description = "The site (e.g. PS1) whose published endpoints it serves.")
        String site;

        @Option(
                names = "--cert",
                required = true,
                paramLabel = "FILE",
                description = "The connection point's certificate (PEM).")
        Path cert;

        @Option(names = "--connection-id", description = "Its connection ID (default: a new random one, printed).")
        String connectionId;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            var body = new LinkedHashMap<String, Object>();
            body.put("name", name);
            body.put("site", site);
            body.put("certificate", Files.readString(cert, StandardCharsets.UTF_8));
            if (connectionId != null) {
                body.put("connection_id", connectionId);
            }
            var r = api.post("connection-points", Json.MAPPER.writeValueAsBytes(body), "application/json");
            out.println("registered " + r.path("name").asText() + " for site "
                    + r.path("site").asText());
            out.println("certificate sha256: " + r.path("thumbprint_sha256").asText());
            out.println("connection-id: " + r.path("connection_id").asText()
                    + "   (put it in the connection point's config)");
        }
    }

    @Command(name = "list", description = "Registered connection points.")
    static final class ListPoints extends AdminCall {
        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            Table.print(out, api.get("connection-points"), "name", "site", "thumbprint_sha256", "registered_at");
        }
    }

    @Command(name = "unregister", description = "Refuse a connection point from now on; its channels close.")
    static final class Unregister extends AdminCall {
        @Parameters(paramLabel = "NAME", description = "The registered name of the connection point.")
        String name;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            api.delete("connection-points/" + AdminClient.encode(name));
            out.println("unregistered " + name);
        }
    }
}
