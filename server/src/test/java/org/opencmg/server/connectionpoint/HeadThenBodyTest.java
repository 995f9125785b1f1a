package org.opencmg.server.connectionpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HeadThenBodyTest {

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void aSmallAnswerLeavesInOneRead() throws IOException {
        var in = new HeadThenBody(bytes("HEAD"), new ByteArrayInputStream(bytes("body")));
        byte[] buf = new byte[64];
        assertThat(in.read(buf, 0, buf.length)).isEqualTo(8);
        assertThat(new String(buf, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("HEADbody");
        assertThat(in.read(buf, 0, buf.length)).isEqualTo(-1);
    }

    @Test
    void aBodyNotYetArrivedIsNotWaitedForWithTheHead() throws IOException {
        InputStream slow = new ByteArrayInputStream(bytes("later")) {
            @Override
            public synchronized int available() {
                return 0;
            }
        };
        var in = new HeadThenBody(bytes("HEAD"), slow);
        byte[] buf = new byte[64];
        assertThat(in.read(buf, 0, buf.length)).isEqualTo(4);
        assertThat(in.read(buf, 0, buf.length)).isEqualTo(5);
        assertThat(in.read(buf, 0, buf.length)).isEqualTo(-1);
    }

    @Test
    void everythingComesThroughInOrderWhateverTheReadSizes() throws IOException {
        var in = new HeadThenBody(bytes("0123456789"), new ByteArrayInputStream(bytes("abcdefghij")));
        assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("0123456789abcdefghij");
        var single = new HeadThenBody(bytes("ab"), null);
        assertThat(single.read()).isEqualTo('a');
        assertThat(single.read()).isEqualTo('b');
        assertThat(single.read()).isEqualTo(-1);
    }
}
