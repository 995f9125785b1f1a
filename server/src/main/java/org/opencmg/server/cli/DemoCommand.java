package org.opencmg.server.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.opencmg.server.demo.Demo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "demo", description = "Run a whole topology on this machine, in the foreground: development PKI, "
        + "gateway, connection point and sample management point and software update point, with their mappings "
        + "published. Writes DIR/demo.json when ready. Ctrl-C stops everything.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--dir", paramLabel = "DIR", description = "Where the demo keeps its files (default: ~/.opencmg/demo; reused by later runs).")
    Path dir;
    @Option(names = "--client-port", defaultValue = "8443", description = "Client connector port (default: ${DEFAULT-VALUE}; 0 = any free port).")
    int clientPort;
    @Option(names = "--channel-port", defaultValue = "10124", description = "Channel connector port (default: ${DEFAULT-VALUE}).")
    int channelPort;
    @Option(names = "--admin-port", defaultValue = "9443", description = "Admin connector port (default: ${DEFAULT-VALUE}).")
    int adminPort;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Path where = dir != null ? dir : Path.of(System.getProperty("user.home"), ".opencmg", "demo");
        Demo demo = Demo.start(where, new Demo.Ports(clientPort, channelPort, adminPort), PluginsDir.find());
        spec.commandLine().getOut().println(demo.instructions());
        spec.commandLine().getOut().flush();
        return Foreground.runUntilStopped(demo);
    }
}
