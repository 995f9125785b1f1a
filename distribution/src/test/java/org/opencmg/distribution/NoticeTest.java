package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The NOTICE at the repository's root is the one the build generates (license-maven-plugin's
 * aggregate-add-third-party in the root pom, which also fails the build on a licence off its
 * allow-list): adding or removing a third-party library without refreshing it fails here.
 */
class NoticeTest {

    @Test
    void theCommittedNoticeListsEveryThirdPartyLibraryTheBuildShips() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        String generated = Files.readString(root.resolve("target/NOTICE"));
        assertThat(generated)
                .contains("Apache-2.0:", "org.eclipse.jetty:jetty-server", "com.azure:azure-storage-blob")
                .doesNotContain("org.opencmg:", "Unknown license");
        assertThat(Files.readString(root.resolve("NOTICE")))
                .as("NOTICE is out of date: after `mvn verify`, run `cp target/NOTICE NOTICE` at the repository's root")
                .isEqualTo(generated);
        assertThat(Files.readString(root.resolve("LICENSE"))).contains("Apache License", "Version 2.0, January 2004");
    }
}
