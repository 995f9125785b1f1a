package org.opencmg.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.opencmg.demo.Demo;
import org.opencmg.demo.DemoTenant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "demo",
        description = "Run a whole topology on this machine, in the foreground: development PKI, "
                + "gateway, connection point and sample management point and software update point, with their mappings "
                + "published. Writes DIR/demo.json when ready. Ctrl-C stops everything.",
        subcommands = DemoCommand.EntraToken.class)
final class DemoCommand implements Callable<Integer> {

    static Path defaultDir() {
        return Path.of(System.getProperty("user.home"), ".opencmg", "demo");
    }

    @Command(
            name = "entra-token",
            description = "Print an Entra ID device token from the demo's simulated tenant "
                    + "(for trying the Entra ID flow without a real tenant; the demo must have run once).")
    static final class EntraToken implements Callable<Integer> {
        @Option(names = "--dir", paramLabel = "DIR", description = "The demo's folder (default: ~/.opencmg/demo).")
        Path dir;

        @Option(
                names = "--device-id",
                defaultValue = "0d5e6f7a-1b2c-4d3e-8f9a-0b1c2d3e4f50",
                description = "The Entra device ID claim.")
        String deviceId;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            spec.commandLine().getOut().println(DemoTenant.deviceToken(dir != null ? dir : defaultDir(), deviceId));
            return 0;
        }
    }

    @Option(
            names = "--dir",
            paramLabel = "DIR",
            description = "Where the demo keeps its files (default: ~/.opencmg/demo; reused by later runs).")
    Path dir;

    @Option(
            names = "--client-port",
            defaultValue = "8443",
            description = "Client connector port (default: ${DEFAULT-VALUE}; 0 = any free port).")
    int clientPort;

    @Option(
            names = "--channel-port",
            defaultValue = "10124",
            description = "Channel connector port (default: ${DEFAULT-VALUE}).")
    int channelPort;

    @Option(
            names = "--admin-port",
            defaultValue = "9443",
            description = "Admin connector port (default: ${DEFAULT-VALUE}).")
    int adminPort;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Path where = dir != null ? dir : defaultDir();
        Demo demo = Demo.start(where, new Demo.Ports(clientPort, channelPort, adminPort), PluginsDir.find());
        spec.commandLine().getOut().println(demo.instructions());
        spec.commandLine().getOut().flush();
        return Foreground.runUntilStopped(demo);
    }
}
