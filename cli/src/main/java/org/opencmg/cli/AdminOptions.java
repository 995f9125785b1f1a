package org.opencmg.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import org.opencmg.cli.client.AdminClient;
import picocli.CommandLine.Option;

/** The options every admin command shares: where the admin API is. */
public final class AdminOptions {

    @Option(names = "--demo", paramLabel = "DIR", description = "Use the admin API of the demo in DIR (its demo.json).")
    Path demo;

    AdminClient client() throws IOException, GeneralSecurityException {
        return AdminClient.from(demo);
    }
}
