package org.opencmg.server.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reading a YAML config file for an operator: whatever goes wrong is said in one line that names
 * the file, the line and the YAML key, and the form expected there, never a Java class name
 * ({@code gateway.yaml line 59: unknown key timeouts.idel (known there: header, heartbeat, idle, request)}).
 */
public final class ConfigFile {

    /** A config file that cannot be used; its message is the whole story, for the operator. */
    public static final class Invalid extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        Invalid(String message) {
            super(message);
        }
    }

    /** Reads {@code file} with {@code loader}. */
    public interface Loader<T> {
        T load(Path file) throws IOException;
    }

    private ConfigFile() {}

    /** {@code loader.load(file)}, its failures turned into {@link Invalid}. */
    public static <T> T load(Path file, Loader<T> loader) throws IOException {
        try {
            return loader.load(file);
        } catch (NoSuchFileException e) {
            throw new Invalid(file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new Invalid(file + ": cannot be read (permission denied)");
        } catch (JsonProcessingException e) {
            throw new Invalid(describe(file, e));
        } catch (IllegalArgumentException e) {
            throw new Invalid(file + ": " + e.getMessage());
        }
    }

    static String describe(Path file, JsonProcessingException e) {
        // Where the offending token starts (the exception's own location is where the parser had
        // read ahead to, often the next line).
        JsonLocation at = e.getProcessor() instanceof JsonParser p
                        && p.currentTokenLocation() != null
                        && p.currentTokenLocation().getLineNr() > 0
                        && !(e instanceof JsonParseException)
                ? p.currentTokenLocation()
                : e.getLocation();
        String where0 = file + (at != null && at.getLineNr() > 0 ? " line " + at.getLineNr() : "") + ": ";
        String where = where0;
        if (e instanceof UnrecognizedPropertyException u) {
            String key = key(u, u.getPropertyName());
            int line = lineOfKey(file, u.getPropertyName(), at == null ? -1 : at.getLineNr());
            if (line > 0) {
                where = file + " line " + line + ": ";
            }
            Collection<Object> known = u.getKnownPropertyIds();
            return where + "unknown key " + key
                    + (known == null || known.isEmpty()
                            ? ""
                            : " (known there: "
                                    + known.stream()
                                            .map(String::valueOf)
                                            .sorted()
                                            .collect(Collectors.joining(", ")) + ")");
        }
        if (e instanceof InvalidFormatException f) {
            return where + key(f, null) + " must be " + form(f.getTargetType()) + ", not \"" + f.getValue() + "\"";
        }
        if (e instanceof MismatchedInputException m && !m.getPath().isEmpty()) {
            return where + key(m, null) + " must be " + form(m.getTargetType());
        }
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            return where + key(m, null) + ": " + firstLine(e.getOriginalMessage());
        }
        // Not YAML at all, or not a mapping of keys at the top.
        if (e instanceof MismatchedInputException) {
            return where + "expected YAML \"key: value\" lines at the top level";
        }
        return where + "not valid YAML: " + firstLine(e.getOriginalMessage());
    }

    /**
     * Jackson reports an unknown key where it stopped reading, after the key's value: the line of
     * the key is the nearest one at or before that which has "KEY:".
     */
    private static int lineOfKey(Path file, String key, int reported) {
        if (key == null || reported <= 0) {
            return -1;
        }
        try {
            var lines = Files.readAllLines(file);
            var pattern = Pattern.compile("(^|[\\s{,-])[\"']?" + Pattern.quote(key) + "[\"']?\\s*:");
            for (int i = Math.min(reported, lines.size()) - 1; i >= 0; i--) {
                if (pattern.matcher(lines.get(i)).find()) {
                    return i + 1;
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // the reported line then
        }
        return -1;
    }

    /** The YAML path of the error: {@code client.port}, {@code gateways[1]}. */
    private static String key(JsonMappingException e, String last) {
        var b = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                b.append(b.isEmpty() ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        if (last != null && !b.toString().endsWith(last)) {
            b.append(b.isEmpty() ? "" : ".").append(last);
        }
        return b.isEmpty() ? "(top level)" : b.toString();
    }

    private static final Map<Class<?>, String> FORMS = Map.ofEntries(
            Map.entry(Integer.class, "a whole number"),
            Map.entry(int.class, "a whole number"),
            Map.entry(Long.class, "a whole number"),
            Map.entry(long.class, "a whole number"),
            Map.entry(Boolean.class, "true or false"),
            Map.entry(boolean.class, "true or false"),
            Map.entry(String.class, "a single value (text)"));

    private static String form(Class<?> type) {
        if (type == null) {
            return "of another form";
        }
        String known = FORMS.get(type);
        if (known != null) {
            return known;
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "a list ([a, b], or one \"- item\" line each)";
        }
        if (type.isEnum()) {
            return "one of "
                    + Arrays.stream(type.getEnumConstants())
                            .map(c -> c.toString().toLowerCase())
                            .collect(Collectors.joining(", "));
        }
        return "a mapping (indented \"key: value\" lines, or {key: value})";
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        String line = message.strip().lines().findFirst().orElse("").strip();
        // Jackson's own wording names Java types; keep only what is about the text.
        return line.replaceAll("\\s*\\(class [^)]*\\)", "").replaceAll("`[a-z]+(\\.[a-zA-Z$_]+)+`", "value");
    }
}
