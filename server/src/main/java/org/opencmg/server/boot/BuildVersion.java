package org.opencmg.server.boot;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version the build wrote into version.properties (resource filtering of the project's version). */
public final class BuildVersion {

    private BuildVersion() {}

    public static String number() {
        var props = new Properties();
        try (InputStream in = BuildVersion.class.getResourceAsStream("/org/opencmg/server/version.properties")) {
            if (in != null) {
                props.load(in);
            }
        } catch (IOException e) {
            // no version file: an unknown version, said as such
        }
        return props.getProperty("version", "unknown");
    }
}
