package org.opencmg.plugins.content;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ContentTest {

    @Test
    void theFilesystemStoreLivesUnderTheGatewaysDataDirUnlessAnAbsoluteFolderIsSet() throws Exception {
        var ctx = new TestContext();
        var content = Content.of(ctx);
        assertThat(((FsContentStore) content.store()).root())
                .isEqualTo(ctx.dataDir().resolve("content"));

        ctx.settings.put("plugins.role-content.fs-root", "elsewhere");
        assertThat(((FsContentStore) content.store()).root())
                .isEqualTo(ctx.dataDir().resolve("elsewhere"));

        Path absolute = Files.createTempDirectory("content-root");
        ctx.settings.put("plugins.role-content.fs-root", absolute.toString());
        assertThat(((FsContentStore) content.store()).root()).isEqualTo(absolute);
    }
}
