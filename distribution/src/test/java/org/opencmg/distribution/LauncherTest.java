package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The repository's ./cmg without a JDK 21+: it stops there with a clear message (it used to carry on). */
class LauncherTest {

    @TempDir
    Path dir;

    @Test
    void repositoryLauncherStopsWithAClearMessageWhenNoJdk21IsFound() throws Exception {
        assumeFalse(javacOnPathIs21OrNewer(), "this machine's /usr/bin/javac is a JDK 21+: nothing to refuse");
        Path noJdks = Files.createDirectories(dir.resolve("no-jdks"));
        var pb = new ProcessBuilder("bash", Path.of("..", "cmg").toString(), "--version").redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/bin:/bin");
        pb.environment().put("CMG_JVM_DIR", noJdks.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isEqualTo(1);
        assertThat(out)
                .contains("cmg: no JDK 21 or newer found", "set JAVA_HOME")
                .doesNotContain("building", "mvn", "No such file");
    }

    private static boolean javacOnPathIs21OrNewer() throws Exception {
        Path javac = Path.of("/usr/bin/javac");
        if (!Files.exists(javac)) {
            return false;
        }
        Path java = javac.toRealPath().resolveSibling("java");
        var p = new ProcessBuilder(java.toString(), "-XshowSettings:properties", "-version")
                .redirectErrorStream(true)
                .start();
        var m = Pattern.compile("java\\.specification\\.version = (\\d+)")
                .matcher(new String(p.getInputStream().readAllBytes()));
        p.waitFor();
        return m.find() && Integer.parseInt(m.group(1)) >= 21;
    }
}
