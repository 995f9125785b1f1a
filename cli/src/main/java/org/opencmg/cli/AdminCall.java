package org.opencmg.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.security.GeneralSecurityException;
import java.util.concurrent.Callable;
import org.opencmg.cli.client.AdminClient;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Base of every command that calls the admin API. Exit codes: 0 done, 1 the gateway refused
 * (its reason is printed), 2 the API could not be reached or the input could not be read.
 */
abstract class AdminCall implements Callable<Integer> {

    @Mixin
    AdminOptions admin;

    @Spec
    CommandSpec spec;

    @Override
    public final Integer call() {
        try {
            run(admin.client(), spec.commandLine().getOut());
            return 0;
        } catch (AdminClient.ApiException e) {
            spec.commandLine().getErr().println("refused (" + e.status + "): " + e.getMessage());
            return 1;
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            // IllegalArgumentException: options that do not go together, found by run()
            spec.commandLine().getErr().println("error: " + e.getMessage());
            return 2;
        }
    }

    abstract void run(AdminClient api, PrintWriter out) throws IOException;
}
