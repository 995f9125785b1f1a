package org.opencmg.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md documents every key the configuration files take, and no key they do not:
 * the keys are those Jackson reads into the Raw records (as the loaders configure it: kebab-case,
 * unknown keys refused), nested records as dotted keys.
 */
class ConfigurationReferenceTest {

    private static final Path DOC =
            Path.of(System.getProperty("user.dir")).getParent().resolve("docs/configuration.md");
    private static final ObjectMapper YAML =
            new ObjectMapper(new YAMLFactory()).setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE);
    private static final Pattern ROW = Pattern.compile("^\\| `([a-z0-9.-]+)` \\|");

    @Test
    void gatewayYamlKeysAreExactlyTheDocumentedOnes() throws Exception {
        assertThat(documented("## gateway.yaml")).containsExactlyElementsOf(keys(GatewayConfig.RawConfig.class));
    }

    @Test
    void connectionPointYamlKeysAreExactlyTheDocumentedOnes() throws Exception {
        Class<?> raw = Class.forName("org.opencmg.connectionpoint.ConnectionPointConfig$Raw");
        assertThat(documented("## connection-point.yaml")).containsExactlyElementsOf(keys(raw));
    }

    @Test
    void theKeysAreFoundAsJacksonReadsThem() {
        // The walk itself: nested records become dotted keys, lists and values stay leaves.
        assertThat(keys(GatewayConfig.RawConfig.class))
                .contains(
                        "client.reuse-port",
                        "admin-account.initial-password-file",
                        "timeouts.header",
                        "auth-order",
                        "database.pool-size")
                .doesNotContain("client", "timeouts");
    }

    private static TreeSet<String> keys(Class<?> type) {
        var keys = new TreeSet<String>();
        walk(YAML.constructType(type), "", keys);
        return keys;
    }

    private static void walk(JavaType type, String prefix, TreeSet<String> keys) {
        var description = YAML.getDeserializationConfig().introspect(type);
        for (BeanPropertyDefinition p : description.findProperties()) {
            if (!p.couldDeserialize()) {
                continue;
            }
            String key = prefix + p.getName();
            Class<?> raw = p.getRawPrimaryType();
            if (raw.isRecord()) {
                walk(YAML.constructType(raw), key + ".", keys);
            } else {
                keys.add(key);
            }
        }
    }

    /** The first-column keys of the tables under {@code heading}, up to the next "## " heading. */
    private static TreeSet<String> documented(String heading) throws Exception {
        List<String> lines = Files.readAllLines(DOC);
        int start = lines.indexOf(heading);
        assertThat(start).as("%s in %s", heading, DOC).isNotNegative();
        var keys = new TreeSet<String>();
        var duplicates = new ArrayList<String>();
        for (int i = start + 1; i < lines.size() && !lines.get(i).startsWith("## "); i++) {
            var m = ROW.matcher(lines.get(i));
            if (m.find() && !keys.add(m.group(1))) {
                duplicates.add(m.group(1));
            }
        }
        assertThat(duplicates).as("keys documented twice").isEmpty();
        return keys;
    }
}
