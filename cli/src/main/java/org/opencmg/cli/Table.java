package org.opencmg.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** Prints JSON rows as an aligned text table. */
final class Table {

    private Table() {}

    static void print(PrintWriter out, JsonNode rows, String... columns) {
        List<String[]> lines = new ArrayList<>();
        lines.add(columns.clone());
        for (JsonNode row : rows) {
            String[] cells = new String[columns.length];
            for (int i = 0; i < columns.length; i++) {
                JsonNode v = row.path(columns[i]);
                cells[i] = v.isArray() ? join(v) : v.isMissingNode() || v.isNull() ? "" : v.asText();
            }
            lines.add(cells);
        }
        int[] widths = new int[columns.length];
        for (String[] l : lines) {
            for (int i = 0; i < l.length; i++) {
                widths[i] = Math.max(widths[i], l[i].length());
            }
        }
        for (String[] l : lines) {
            var sb = new StringBuilder();
            for (int i = 0; i < l.length; i++) {
                sb.append(i == l.length - 1 ? l[i] : String.format("%-" + widths[i] + "s  ", l[i]));
            }
            out.println(sb.toString().stripTrailing());
        }
        if (lines.size() == 1) {
            out.println("(none)");
        }
        out.flush();
    }

    private static String join(JsonNode array) {
        var parts = new ArrayList<String>();
        array.forEach(n -> parts.add(n.asText()));
        return String.join(",", parts);
    }
}
