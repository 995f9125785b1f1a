package org.opencmg.server.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.opencmg.server.boot.Gateway;
import org.opencmg.server.config.ConfigFile;
import org.opencmg.server.config.GatewayConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "gateway", description = "Run a gateway instance in the foreground until stopped (SIGTERM or Ctrl-C).")
final class GatewayCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "gateway.yaml")
    Path config;

    @Override
    public Integer call() throws Exception {
        Gateway gateway = Gateway.start(ConfigFile.load(config, GatewayConfig::load));
        return Foreground.runUntilStopped(gateway);
    }
}
