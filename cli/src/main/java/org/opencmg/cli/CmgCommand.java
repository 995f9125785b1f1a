package org.opencmg.cli;

import org.opencmg.server.boot.BuildVersion;
import org.opencmg.server.config.ConfigFile;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(
        name = "cmg",
        mixinStandardHelpOptions = true,
        scope = CommandLine.ScopeType.INHERIT,
        versionProvider = CmgCommand.Version.class,
        description = "OpenCMG: a self-hostable cloud management gateway.",
        subcommands = {
            DemoCommand.class,
            GatewayCommand.class,
            ConnectionPointCommand.class,
            PkiCommand.class,
            EndpointCommand.class,
            TrustCommands.Roots.class,
            TrustCommands.Ctl.class,
            TrustCommands.Crl.class,
            SettingsCommand.class,
            StatusCommand.class,
            ExplainCommand.class,
            AnalyzeCommand.class,
            AdminCertCommand.class,
            TokenCommand.class,
            DeviceCommand.class,
            ContentCommand.class,
            ConfigCommand.class,
            SampleSiteCommand.class,
            CompletionCommand.class,
            CommandLine.HelpCommand.class
        })
public final class CmgCommand {

    /** The build's version and the JDK's. */
    static final class Version implements CommandLine.IVersionProvider {

        @Override
        public String[] getVersion() {
            return new String[] {
                "OpenCMG " + BuildVersion.number(),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"
            };
        }
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** The configured command line, for callers that redirect its output. */
    public static CommandLine commandLine() {
        return new CommandLine(new CmgCommand())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    // Operators get the cause in one line; the stack trace only with -Dcmg.debug=true.
                    cmd.getErr().println("error: " + rootMessage(e));
                    if (Boolean.getBoolean("cmg.debug")) {
                        e.printStackTrace(cmd.getErr());
                    }
                    return 1;
                });
    }

    private static String rootMessage(Throwable e) {
        if (e instanceof ConfigFile.Invalid) {
            return e.getMessage(); // a config file's error says it all, with its file, line and key
        }
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return t == e ? String.valueOf(m) : e.getMessage() + " (" + t.getClass().getSimpleName() + ": " + m + ")";
    }
}
