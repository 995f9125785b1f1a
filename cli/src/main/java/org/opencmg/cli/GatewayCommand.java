package org.opencmg.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.opencmg.server.boot.Gateway;
import org.opencmg.server.config.ConfigFile;
import org.opencmg.server.config.GatewayConfig;
import org.opencmg.server.jetty.TlsPolicy;
import org.opencmg.webapp.WebConsole;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "gateway",
        description = "Run a gateway instance in the foreground until stopped (SIGTERM or Ctrl-C); "
                + "SIGHUP reloads the connectors' certificates and keys (so do changes of their files).")
final class GatewayCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "gateway.yaml")
    Path config;

    @Option(
            names = "--check",
            description = "Read the configuration, the connectors' certificates and keys, "
                    + "the store and the plugins, say what is wrong, and exit (0: a start would get past them; 1: it would not). "
                    + "Nothing listens and nothing is written.")
    boolean check;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        TlsPolicy.letSettingDecideLegacyProtocols(); // this process runs a gateway: its setting decides
        GatewayConfig loaded = ConfigFile.load(config, GatewayConfig::load);
        if (check) {
            var report = GatewayCheck.run(loaded);
            var out = spec.commandLine().getOut();
            out.println("ok   configuration: " + config);
            report.lines().forEach(out::println);
            out.println(report.ok() ? "configuration OK" : "configuration has errors");
            out.flush();
            return report.ok() ? 0 : 1;
        }
        // Certificates and keys first: a wrong file must stop the start before anything is made on disk.
        GatewayCheck.requireKeys(loaded);
        Gateway gateway;
        try {
            gateway = Gateway.start(loaded, WebConsole::new);
        } catch (Exception e) {
            var bind = BindFailure.explain(e, loaded);
            if (bind.isPresent()) {
                throw new IllegalStateException(bind.get(), e);
            }
            throw e;
        }
        return Foreground.runUntilStopped(gateway::drain, gateway::reloadCertificates, gateway);
    }
}
