package org.opencmg.server.json;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The process's one configured JSON mapper, for the admin API, the console, the CLI and the demo:
 * snake_case names (the API's and demo.json's), ISO-8601 dates, the java.time module, unknown
 * properties refused. Configured here once and never changed afterwards (mappers are thread-safe
 * only while nobody reconfigures them). The channel's messages have their own (ChannelJson, in the
 * channel module, lenient for newer peers), configuration files theirs (YAML, kebab-case), and
 * plugins theirs: they are isolated and see no host library but the plugin API.
 */
public final class Json {

    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .findAndAddModules()
            .build();

    /** Indented: what people read (the admin API's answers, demo.json, the CLI's --json). */
    public static final ObjectWriter PRETTY = MAPPER.writerWithDefaultPrettyPrinter();

    private Json() {}
}
