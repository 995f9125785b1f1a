package org.opencmg.server.channel;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The JSON head that starts every pull response and every response stream (see
 * {@link ChannelProtocol}): 4-byte big-endian length, then UTF-8 JSON.
 */
public final class FrameHead {

    /** A device request as the connection point receives it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Request(String id, String method, String endpoint, String path, String query,
                          List<List<String>> headers) {
    }

    /** The internal server's answer, or the connection point's reason for having none. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Response(int status, List<List<String>> headers, String error) {
    }

    static final int MAX_HEAD_BYTES = 256 * 1024;

    /**
     * Every exchange runs on a virtual thread of its own, so Jackson's default thread-local buffer
     * recycling never recycles: each head cost fresh 8 KB buffers, the channel's largest allocation.
     * A pool shared by all threads keeps them.
     */
    public static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .recyclerPool(JsonRecyclerPools.sharedConcurrentDequePool()).build())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private FrameHead() {
    }

    public static byte[] encode(Object head) throws IOException {
        byte[] json = JSON.writeValueAsBytes(head);
        return ByteBuffer.allocate(4 + json.length).putInt(json.length).put(json).array();
    }

    /** Reads one head from the stream, leaving the stream at the first body byte. */
    public static <T> T read(InputStream in, Class<T> type) throws IOException {
        var data = new DataInputStream(in);
        int length;
        try {
            length = data.readInt();
        } catch (EOFException e) {
            throw new IOException("channel stream ended before its head");
        }
        if (length < 2 || length > MAX_HEAD_BYTES) {
            throw new IOException("bad channel frame head length " + length);
        }
        byte[] json = new byte[length];
        data.readFully(json);
        return JSON.readValue(json, type);
    }
}
