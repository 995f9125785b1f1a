package org.opencmg.plugins.content;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FsContentStoreTest {

    @TempDir
    Path root;

    @Test
    void putComputesSizeAndHashAndGetServesRanges() throws Exception {
        var store = new FsContentStore(root);
        byte[] data = new byte[300_000];
        new Random(1).nextBytes(data);
        var stored = store.put("PKG1/1/a.bin", new ByteArrayInputStream(data));
        assertThat(stored.size()).isEqualTo(data.length);
        assertThat(stored.sha256Hex())
                .isEqualTo(HexFormat.of()
                        .formatHex(MessageDigest.getInstance("SHA-256").digest(data)));
        assertThat(store.head("PKG1/1/a.bin")).get().extracting(b -> b.size()).isEqualTo((long) data.length);
        try (InputStream in = store.get("PKG1/1/a.bin", 1000, 70_000)) {
            assertThat(in.readAllBytes()).isEqualTo(java.util.Arrays.copyOfRange(data, 1000, 71_000));
        }
        assertThatThrownBy(() -> store.get("PKG1/1/a.bin", 299_999, 2)).isInstanceOf(IOException.class);
        assertThat(store.list("PKG1/")).containsExactly("PKG1/1/a.bin");
        assertThat(store.delete("PKG1/1/a.bin")).isTrue();
        assertThat(store.head("PKG1/1/a.bin")).isEmpty();
        assertThat(store.delete("PKG1/1/a.bin")).isFalse();
        assertThat(Files.exists(root.resolve("PKG1"))).isFalse(); // empty folders tidied
    }

    @Test
    void aBrokenUploadLeavesNothing() throws Exception {
        var store = new FsContentStore(root);
        InputStream breaking = new InputStream() {
            int n;

            @Override
            public int read() throws IOException {
                if (n++ > 100_000) {
                    throw new IOException("connection reset");
                }
                return 7;
            }
        };
        assertThatThrownBy(() -> store.put("PKG1/1/b.bin", breaking)).hasMessageContaining("connection reset");
        assertThat(store.head("PKG1/1/b.bin")).isEmpty();
        try (var files = Files.walk(root)) {
            assertThat(files.filter(Files::isRegularFile).toList()).isEmpty();
        }
    }

    @Test
    void keysCannotLeaveTheRoot() {
        var store = new FsContentStore(root);
        for (String bad : new String[] {"../x", "a/../../x", "/etc/passwd", ".hidden", "a//b", "a/b\\c", ""}) {
            assertThatThrownBy(() -> store.put(bad, new ByteArrayInputStream(new byte[1])))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
