package org.opencmg.channel;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.IOException;

/** The JSON form of the channel's control messages (snake_case; unknown fields are ignored, for newer peers). */
public final class ChannelJson {

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private ChannelJson() {}

    public static byte[] write(Object message) {
        try {
            return JSON.writeValueAsBytes(message);
        } catch (IOException e) {
            throw new IllegalStateException("channel message not serialisable: " + e.getMessage(), e);
        }
    }

    /** Reads a message; a malformed one is an {@link IOException} naming what is wrong, never a partial record. */
    public static <T> T read(byte[] json, Class<T> type) throws IOException {
        try {
            return JSON.readValue(json, type);
        } catch (JacksonException e) {
            throw new IOException("malformed " + type.getSimpleName() + ": " + e.getOriginalMessage());
        }
    }
}
