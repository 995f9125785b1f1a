package org.opencmg.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the product's plugin JARs are: {@code $cmg.home/plugins}, as the launcher lays it out. */
final class PluginsDir {

    private PluginsDir() {}

    static Path find() {
        String home = System.getProperty("cmg.home");
        Path dir = home == null ? Path.of("plugins") : Path.of(home, "plugins");
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("no plugins directory at " + dir.toAbsolutePath() + " (run through ./cmg)");
        }
        return dir;
    }
}
