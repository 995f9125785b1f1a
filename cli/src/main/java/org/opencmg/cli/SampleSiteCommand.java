package org.opencmg.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.opencmg.demo.SampleSiteServer;
import org.opencmg.pki.KeyMaterial;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The demo's sample site roles as a process of their own, for topologies of several processes. */
@Command(
        name = "sample-site",
        description = "Run the sample management point and software update point (HTTPS) of the "
                + "demo as a process of their own, for multi-process topologies and tests. Ctrl-C stops them.")
final class SampleSiteCommand implements Callable<Integer> {

    @Option(
            names = "--cert",
            required = true,
            paramLabel = "FILE",
            description = "Server certificate (PEM, leaf first).")
    Path cert;

    @Option(names = "--key", required = true, paramLabel = "FILE", description = "Its private key (PEM).")
    Path key;

    @Option(
            names = "--mp-port",
            required = true,
            paramLabel = "PORT",
            description = "The management point's port on 127.0.0.1.")
    int mpPort;

    @Option(
            names = "--sup-port",
            required = true,
            paramLabel = "PORT",
            description = "The software update point's port on 127.0.0.1.")
    int supPort;

    @Option(
            names = "--site",
            defaultValue = "PS1",
            paramLabel = "CODE",
            description = "Site code the management point answers with.")
    String site;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        KeyMaterial keys = KeyMaterial.read(cert, key);
        var mp = SampleSiteServer.managementPoint(keys, mpPort, site);
        var sup = SampleSiteServer.updatePoint(keys, supPort);
        spec.commandLine()
                .getOut()
                .println("sample management point on https://localhost:" + mp.port()
                        + ", software update point on https://localhost:" + sup.port());
        spec.commandLine().getOut().flush();
        return Foreground.runUntilStopped(() -> {
            sup.close();
            mp.close();
        });
    }
}
